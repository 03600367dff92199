"""Readiness as text (a terminal), Markdown (job summary, pull request) and JSON (pipelines).

Locked-out people come first, then those nobody can vouch for, then the ready; every tenant
string goes through the same escaping as drift's reports (:mod:`ztb.render.plan`), so a display
name cannot break a table or a terminal. HTML is :mod:`ztb.readiness.html`.
"""

from __future__ import annotations

import json

from ztb.readiness.verdicts import Person, Readiness, Status
from ztb.render.plan import md_text, visible

ICON = {Status.READY: "🟢", Status.BLOCKED: "🔴", Status.UNKNOWN: "🟡"}
WORD = {Status.READY: "READY", Status.BLOCKED: "BLOCKED", Status.UNKNOWN: "CANNOT TELL"}


def headline(r: Readiness) -> str:
    people = r.enforced_on()
    blocked = sum(1 for p in people if p.verdict == Status.BLOCKED) + sum(1 for p in r.break_glass if p.verdict == Status.BLOCKED)
    unknown = sum(1 for p in people if p.verdict == Status.UNKNOWN) + sum(1 for p in r.break_glass if p.verdict == Status.UNKNOWN)
    outcome = {Status.READY: "everyone is ready", Status.BLOCKED: "enforcing would lock someone out",
               Status.UNKNOWN: "cannot tell (missing data)"}[r.outcome]
    return (f"Readiness of phase '{r.phase}': {outcome}. {len(people)} people in scope, {blocked} blocked, {unknown} cannot tell; "
            f"{len(r.break_glass)} break-glass account(s); sign-ins since {r.window_start} ({r.since}).")


def _person_text(p: Person) -> list[str]:
    head = f"[{WORD[p.verdict]}] {visible(p.upn)}" + (f" ({visible(p.display_name)})" if p.display_name else "")
    lines = [head, f"    {visible(p.summary())}"]
    for fix in p.fixes():
        lines.append(f"    fix: {visible(fix)}")
    lines.append(f"    in scope: {visible('; '.join(p.why))}")
    if p.access:
        lines.append(f"    roles: {visible('; '.join(p.access))}")
    if p.synced is not None:
        lines.append(f"    account: {'synced from on-premises' if p.synced else 'cloud-only'}")
    for c in p.checks:
        lines.append(f"    - {c.name.value}: {c.status.value}: {visible(c.reason)}")
    return lines


def text(r: Readiness) -> str:
    out = [headline(r), ""]
    for line in r.could_not_read:
        out.append(f"Could not read: {visible(line)}")
    if r.could_not_read:
        out.append("")
    for p in r.enforced_on():
        out += _person_text(p)
    out += ["", "Break-glass accounts:"] + ([line for p in r.break_glass for line in _person_text(p)] or ["    none known: set ztb:emergencyAccessUserIds"])
    if r.outcomes:
        out += ["", "Report-only outcomes (sign-ins of the people in scope):"]
        for o in r.outcomes:
            out.append(f"    {o.control_id}: " + ", ".join(f"{k} {v}" for k, v in o.counts.items()))
    if r.standing:
        out += ["", "Standing access:"] + [f"    {f['controlId']} ({f['impact']}): {visible(f['displayName'])}: {visible(f['reason'])}" for f in r.standing]
    return "\n".join(out)


def _rows(people: list[Person]) -> list[str]:
    rows = ["| | person | verdict | fix | method | device | report-only | account |", "|---|---|---|---|---|---|---|---|"]
    for p in people:
        by = {c.name.value: c for c in p.checks}
        cell = lambda name: f"{ICON[by[name].status]} {md_text(by[name].reason)}" if name in by else ""  # noqa: E731
        account = "" if p.synced is None else ("synced" if p.synced else "cloud-only")
        rows.append(f"| {ICON[p.verdict]} | {md_text(p.upn)} | {md_text(p.summary())} | {md_text('; '.join(p.fixes()))} | "
                    f"{cell('phishing-resistant method')} | {cell('compliant device')} | {cell('report-only outcomes')} | {account} |")
    return rows


def markdown(r: Readiness) -> str:
    out = [f"## ztb readiness: phase `{r.phase}` — {ICON[r.outcome]} {r.outcome.value}", "", md_text(headline(r)), ""]
    for line in r.could_not_read:
        out.append(f"- 🟡 could not read: {md_text(line)}")
    if r.could_not_read:
        out.append("")
    for phase, ids in r.phases.items():
        marker = " (assessed)" if phase == r.phase else ""
        out += [f"### Phase {phase}{marker}: {len(ids)} people", ""]
        out += (_rows(r.enforced_on(phase)) if ids else ["Nobody is in this phase's scope."]) + [""]
    out += ["### Break-glass accounts", ""]
    out += ["| | account | verdict | checks |", "|---|---|---|---|"]
    for p in r.break_glass:
        checks = "; ".join(f"{ICON[c.status]} {c.name.value}: {c.reason}" for c in p.checks)
        out.append(f"| {ICON[p.verdict]} | {md_text(p.upn)} | {md_text(p.summary())} | {md_text(checks)} |")
    if r.outcomes:
        out += ["", "### Report-only outcomes since " + md_text(r.window_start), "",
                "| control | policy | reportOnlyFailure | reportOnlyInterrupted | reportOnlySuccess | reportOnlyNotApplied |",
                "|---|---|---:|---:|---:|---:|"]
        for o in r.outcomes:
            c = o.counts
            out.append(f"| {o.control_id} | {md_text(o.display_name)} | {c['reportOnlyFailure']} | {c['reportOnlyInterrupted']} | "
                       f"{c['reportOnlySuccess']} | {c['reportOnlyNotApplied']} |")
    if r.standing:
        out += ["", "### Standing access", ""] + [f"- **{f['controlId']}** ({f['impact']}): {md_text(f['displayName'])}: {md_text(f['reason'])}"
                                                  for f in r.standing]
    return "\n".join(out)


def json_report(r: Readiness) -> str:
    return json.dumps(r.as_dict(), indent=2, ensure_ascii=False)


def render(r: Readiness, fmt: str) -> str:
    if fmt == "html":
        from ztb.readiness.html import html

        return html(r)
    return {"text": text, "markdown": markdown, "json": json_report}[fmt](r)
