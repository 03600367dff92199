"""Does a change enforce more on people? The deploy workflow's cue to run `ztb readiness` first.

A change enforces more when it can stop someone signing in who could before: a Conditional Access
policy created or replaced (its state is not always in the preview, so it counts), or any field of
a policy that strengthens (report-only -> enabled, a phase advance adding ring or privileged groups
and roles, an exclusion removed, a stricter grant), or a compliance policy made stricter (devices
fall out of compliance). The words come from the one classifier (:mod:`ztb.compare.classify`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ztb.compare import classify as cl
from ztb.review.ops import Op

if TYPE_CHECKING:
    from ztb.review.result import Review

ENFORCING_KINDS = ("conditionalAccessPolicy", "deviceCompliancePolicy")


def enforces_more(review: "Review") -> list[str]:
    """One line per change that enforces more: ``PRIV-CA-03: state: report-only -> enabled``."""
    out = []
    for c in review.changes:
        if c.kind not in ENFORCING_KINDS:
            continue
        name = c.control_id or c.name
        if c.kind == "conditionalAccessPolicy" and c.op in (Op.CREATE, Op.REPLACE):
            out.append(f"{name}: {c.op.value} of a Conditional Access policy")
            continue
        for f in c.fields:
            if f.verdict.impact == cl.STRENGTHENS:
                out.append(f"{name}: {f.path}: {f.verdict.reason}")
    return out
