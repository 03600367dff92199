"""``ztb drift --previous``: an earlier result read back, each finding marked new, persisting or fixed.

The earlier result is a file a pipeline keeps between runs, so it is read like every input
(:mod:`ztb.inputfile`: bounded, strict JSON) and its findings are typed before use; a result of
another tenant is refused, since all its findings would turn into "fixed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter, ValidationError

from ztb.compare import classify as cl
from ztb.drift.report import FIXED, NEW, PERSISTING, DriftError, Finding, Report
from ztb.inputfile import Wording, load_json
from ztb.render.plan import truncate
from ztb.tenant.snapshot import DEPTH_NOTE, MAX_DEPTH

if TYPE_CHECKING:
    from ztb.model.baseline import Baseline

#: The most findings a previous result can hold: every control plus one per policy or role a
#: snapshot may hold (ztb.tenant.snapshot.MAX_ITEMS), with room to spare.
MAX_PREVIOUS_FINDINGS = 10000
MAX_PREVIOUS_BYTES = 16 * 1024 * 1024
_Short = Annotated[str, StringConstraints(strict=True, max_length=4096)]


class _PreviousFinding(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    controlId: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256)]
    kind: _Short = ""
    displayName: _Short = ""
    status: _Short = ""
    impact: Annotated[str, StringConstraints(strict=True, pattern=r"^(weakens|neutral|strengthens)$")] = cl.NEUTRAL
    reason: Annotated[str, StringConstraints(strict=True, max_length=65536)] = ""
    objectId: Optional[_Short] = None
    trend: Optional[_Short] = None


_FINDINGS = TypeAdapter(list[_PreviousFinding])


@dataclass(frozen=True)
class Previous:
    """An earlier `ztb drift --format json` result: its findings and the tenant they were of."""

    findings: list[dict[str, Any]]
    tenant_id: str
    #: When the previous run read the tenant (its ``exportedAt``): where the audit window starts.
    exported_at: str = ""


def load_previous(path: str) -> Previous:
    """The findings of an earlier `ztb drift --format json` run, with their tenant (bounded read)."""
    where = truncate(path, 200)
    fix = "pass the output of `ztb drift --format json --out FILE`"
    words = Wording(f"previous result {where}", "pass the JSON of an earlier `ztb drift --format json --out FILE`", fix, fix)
    doc = load_json(path, words, DriftError, max_bytes=MAX_PREVIOUS_BYTES, max_depth=MAX_DEPTH, depth_note=DEPTH_NOTE)
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise DriftError(f"previous result {where}: no 'findings' list with a controlId in each; {fix}")
    if len(doc["findings"]) > MAX_PREVIOUS_FINDINGS:
        raise DriftError(f"previous result {where}: {len(doc['findings'])} findings, more than the {MAX_PREVIOUS_FINDINGS:,} "
                         f"a drift report can hold; {fix}")
    try:
        findings = _FINDINGS.validate_python(doc["findings"])
    except ValidationError as e:
        err = e.errors()[0]
        if err["loc"][-1] == "controlId" or len(err["loc"]) == 1:
            raise DriftError(f"previous result {where}: no 'findings' list with a controlId in each; {fix}") from None
        loc = "findings" + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
        raise DriftError(f"previous result {where}: '{truncate(loc, 80)}' {err['msg'].lower()}; {fix}") from None
    tenant = doc.get("tenantId")
    if not isinstance(tenant, str) or not tenant.strip():
        raise DriftError(f"previous result {where}: no tenantId, so its findings cannot be matched to this tenant; {fix}")
    exported = doc.get("exportedAt")
    return Previous([f.model_dump() for f in findings], tenant.strip().lower(), exported.strip() if isinstance(exported, str) else "")


def mark_history(report: Report, previous: Previous | list[dict[str, Any]]) -> None:
    """Mark each finding new or persisting, and add the previous ones that are gone as fixed.

    A previous result of another tenant is refused: its findings would all turn into "fixed".
    """
    if isinstance(previous, Previous):
        if report.tenant_id and previous.tenant_id != report.tenant_id.strip().lower():
            raise DriftError(f"the previous result is of tenant {truncate(previous.tenant_id, 64)} but this report is of tenant "
                             f"{report.tenant_id}; pass the previous result of the same tenant")
        previous = previous.findings
    before = {f["controlId"]: f for f in previous if f.get("trend") != FIXED}
    for f in report.findings:
        old = before.get(f.control_id)
        f.trend = PERSISTING if old else NEW
        f.previous_status = old.get("status") if old else None
    now = {f.control_id for f in report.findings}
    for cid, old in before.items():
        if cid not in now:
            report.findings.append(Finding(
                cid, old.get("kind", ""), old.get("displayName", ""), old.get("status", ""), old.get("impact", cl.NEUTRAL),
                f"fixed since the previous run: {old.get('reason', '')}".rstrip(": "), [], old.get("objectId"), FIXED,
            ))


def add_audit_events(report: Report, previous: Previous, b: Baseline, graph_url: Optional[str] = None) -> None:
    """Put the directory-audit events since the previous run on the report (live drift only).

    The window starts at the previous run's ``exportedAt``; a previous result without one cannot
    say where, and is refused rather than read as "since ever" or "nothing happened".
    """
    from ztb.tenant.audits import read_since

    if not previous.exported_at:
        raise DriftError("the previous result has no exportedAt, so the audit events since it cannot be read; pass the JSON of "
                         "an earlier live `ztb drift --format json --out FILE` run")
    report.audit_since = previous.exported_at
    report.audit_events = [e.as_dict() for e in read_since(previous.exported_at, b, report.tenant_id or "", graph_url)]
