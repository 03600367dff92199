"""Time-bound eligible assignment of a principal to a directory role (PIM).

pulumi-azuread's ``DirectoryRoleEligibilityScheduleRequest`` asks for eligibility with no
expiration, which the baseline's own PIM rule ``Expiration_Admin_Eligibility``
(``isExpirationRequired: true``) rejects. This provider sends the request Graph documents,
``POST /roleManagement/directory/roleEligibilityScheduleRequests``, with
``scheduleInfo.expiration {type: afterDuration, duration}``:

* create: ``adminAssign``; if the principal is already eligible for the role (granted outside the
  stack) the eligibility is *adopted* with ``adminUpdate``, which makes it time-bound on the
  baseline's terms;
* update: ``adminUpdate`` with the new schedule (``adminAssign`` if it vanished meanwhile);
* read (refresh, import): the principal's schedule from ``GET .../roleEligibilitySchedules
  ?$filter=principalId eq .. and roleDefinitionId eq .. and directoryScopeId eq ..`` (import ID:
  the schedule ID). Graph reports the expiration as an end date; it is *in line* with the desired
  duration unless it is permanent or ends later than the duration allows from now, and only then
  shows up as a change. An expired or removed eligibility reads as gone, so the next
  ``pulumi up`` grants it again (the config says the principal is eligible);
* delete: ``adminRemove`` for an eligibility the stack granted; one it adopted is left in place
  (it was time-bound by the adoption and expires on its own). Already gone is fine.

Resource ID: the schedule ID. Inputs: the request body of ``ztb.model.pim.eligibility_controls``
(``action``, ``principalId``, ``roleDefinitionId``, ``directoryScopeId``, ``justification``,
``scheduleInfo``), optional ``controlId``, ``graphUrl``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.graph.errors import GraphError
from ztb.compare.normalize import compare, duration_seconds

from ztb.providers import (
    GUID_RE, OBSERVED, ProviderError, any_unknown_input, carry_pass_through, dig, failing_as, graph_for, has_unknowns, identity_replaces, is_unknown,
    known_str, label, odata_literal, require, wire,
)

KIND = "roleEligibility"
REQUESTS = "/roleManagement/directory/roleEligibilityScheduleRequests"
SCHEDULES = "/roleManagement/directory/roleEligibilitySchedules"
IDENTITY = ("principalId", "roleDefinitionId", "directoryScopeId")
#: Request states after which the eligibility does not exist (unifiedRoleScheduleRequest.status).
FAILED = {"denied", "failed", "canceled", "revoked", "provisioningfailed", "adminapprovaldenied"}
#: Clock skew and request latency allowed when judging whether an end date is within the duration.
SLACK = timedelta(days=1)
GONE_CODES = {"roleassignmentdoesnotexist", "resourcenotfound"}


def _expiration(props: dict[str, Any]) -> Any:
    """``scheduleInfo.expiration``: a dict, an unknown (preview), or {} when absent or malformed."""
    value = dig(props, "scheduleInfo", "expiration")
    return value if is_unknown(value) or isinstance(value, dict) else {}


def _schedule_info(props: dict[str, Any]) -> Optional[dict]:
    value = props.get("scheduleInfo")
    return value if isinstance(value, dict) else None


def _parse_time(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def observed_schedule(schedule: dict, desired_schedule: Optional[dict], now: Optional[datetime] = None) -> dict:
    """The live schedule in the desired shape: equal to it when the live end date honours it."""
    live = ((schedule.get("scheduleInfo") or {}).get("expiration")) or {}
    kind = str(live.get("type") or "").lower()
    end = _parse_time(live.get("endDateTime"))
    if kind == "noexpiration" or (end is None and kind != "afterduration"):
        return {"expiration": {"type": "noExpiration"}}
    wanted = ((desired_schedule or {}).get("expiration")) or {}
    seconds = duration_seconds(wanted.get("duration") or "")
    if seconds is not None and end is not None:
        latest = (now or datetime.now(timezone.utc)) + timedelta(seconds=seconds) + SLACK
        if end <= latest:
            return desired_schedule or {}
    if kind == "afterduration":
        return {"expiration": {"type": "afterDuration", "duration": live.get("duration")}}
    return {"expiration": {"type": "afterDateTime", "endDateTime": live.get("endDateTime")}}


class RoleEligibilityProvider(ResourceProvider):
    """One principal's time-bound eligibility for one directory role; see the module docstring."""

    serialize_as_secret_always = False

    @staticmethod
    def _find(g, props: dict[str, Any]) -> Optional[dict]:
        flt = " and ".join(f"{k} eq {odata_literal(props.get(k) or '/')}" for k in IDENTITY)
        found = g.list_all(SCHEDULES, {"$filter": flt})
        return found[0] if found else None

    @staticmethod
    def _request(g, action: str, props: dict[str, Any]) -> dict:
        body = {"action": action, **{k: props.get(k) for k in IDENTITY}}
        body["directoryScopeId"] = body["directoryScopeId"] or "/"
        if action != "adminRemove":
            body["justification"] = props.get("justification") or "Privileged baseline: managed by ztb"
            body["scheduleInfo"] = wire(props.get("scheduleInfo"))
        answer = g.post_json(REQUESTS, body) or {}
        status = str(answer.get("status") or "").lower()
        if action != "adminRemove" and status in FAILED:
            raise ProviderError(f"{action} request {answer.get('id', '?')} ended {answer.get('status')}")
        return answer

    @staticmethod
    def _outs(props: dict[str, Any], schedule_id: str, schedule_info: dict, end: Optional[str], adopted: bool) -> dict[str, Any]:
        outs = {k: props.get(k) for k in IDENTITY}
        outs.update(
            action="adminAssign",
            justification=props.get("justification"),
            scheduleInfo=schedule_info,
            scheduleId=schedule_id,
            endDateTime=end,
            adopted=adopted,
        )
        outs[OBSERVED] = True
        return carry_pass_through(props, outs)

    # -- ResourceProvider

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate what is known; a value not known yet (preview) passes through untouched."""
        failures = []
        for key in ("principalId", "roleDefinitionId"):
            value = news.get(key)
            if not is_unknown(value) and not (isinstance(value, str) and GUID_RE.match(value)):
                failures.append(CheckFailure(key, f"{value!r} is not an object ID"))
        expiration = _expiration(news)
        if not is_unknown(expiration):
            kind, duration = expiration.get("type"), expiration.get("duration")
            bad_kind = not is_unknown(kind) and str(kind or "").lower() != "afterduration"
            bad_duration = not is_unknown(duration) and duration_seconds(duration if isinstance(duration, str) else "") is None
            if bad_kind or bad_duration:
                failures.append(CheckFailure(
                    "scheduleInfo",
                    "give scheduleInfo.expiration {type: afterDuration, duration: P...D}: the baseline's PIM rule "
                    "Expiration_Admin_Eligibility rejects eligibility without an expiration",
                ))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A change where the schedule differs or is not known yet; a replacement for another (or unknown) principal, role or scope."""
        # An eligibility is keyed by principal, role and scope: replacing one must remove the old
        # before granting the new, or two requests would race for the same key.
        replaces = identity_replaces(olds, news, IDENTITY, {"directoryScopeId": "/"})
        if any_unknown_input(news) or has_unknowns(olds.get("scheduleInfo")):
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=True)
        changes = compare(KIND, {"scheduleInfo": _schedule_info(news)}, {"scheduleInfo": _schedule_info(olds)})
        return DiffResult(changes=bool(changes or replaces), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        what = label(props, f"eligibility of {props.get('principalId')} for role {props.get('roleDefinitionId')}")
        with failing_as(what), graph_for(props) as g:
            require(props, "principalId"), require(props, "roleDefinitionId"), require(props, "scheduleInfo")
            if str(_expiration(props).get("type") or "").lower() != "afterduration":
                raise ProviderError("eligibility must expire (scheduleInfo.expiration type afterDuration); the PIM rule Expiration_Admin_Eligibility requires it")
            existing = self._find(g, props)
            answer = self._request(g, "adminUpdate" if existing else "adminAssign", props)
            schedule_id = answer.get("targetScheduleId") or (existing or {}).get("id")
            if not schedule_id:
                found = self._find(g, props)
                if found is None:
                    raise ProviderError(f"request {answer.get('id', '?')} was accepted ({answer.get('status')}) but no schedule exists yet")
                schedule_id = found["id"]
            end = (((answer.get("scheduleInfo") or {}).get("expiration")) or {}).get("endDateTime")
            return CreateResult(schedule_id, self._outs(props, schedule_id, props.get("scheduleInfo"), end, adopted=existing is not None))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        what = label(news, f"eligibility {id_}")
        with failing_as(what), graph_for(news) as g:
            require(news, "principalId"), require(news, "roleDefinitionId"), require(news, "scheduleInfo")
            existing = self._find(g, news)
            answer = self._request(g, "adminUpdate" if existing else "adminAssign", news)
            schedule_id = answer.get("targetScheduleId") or (existing or {}).get("id") or id_
            end = (((answer.get("scheduleInfo") or {}).get("expiration")) or {}).get("endDateTime")
            adopted = bool(olds.get("adopted")) and existing is not None
            return UpdateResult(self._outs(news, schedule_id, news.get("scheduleInfo"), end, adopted))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        with failing_as(label(props, f"eligibility {id_}")), graph_for(props) as g:
            if all(known_str(props.get(k)) for k in ("principalId", "roleDefinitionId")):
                schedule = self._find(g, props)
            else:
                try:
                    schedule = g.get_json(f"{SCHEDULES}/{quote(id_)}")
                except GraphError as e:
                    if e.not_found:
                        return ReadResult(None, {})
                    raise
        if schedule is None:
            return ReadResult(None, {})
        identity = {k: schedule.get(k) for k in IDENTITY}
        desired_schedule = props.get("scheduleInfo") if isinstance(props.get("scheduleInfo"), dict) else None
        observed = observed_schedule(schedule, desired_schedule)
        end = (((schedule.get("scheduleInfo") or {}).get("expiration")) or {}).get("endDateTime")
        outs = self._outs({**props, **identity}, schedule["id"], observed, end, bool(props.get("adopted")))
        inputs = None
        if importing:
            inputs = {**identity, "action": "adminAssign", "scheduleInfo": observed}
            inputs.update({k: props[k] for k in ("justification", "controlId", "graphUrl") if props.get(k) is not None})
        return ReadResult(schedule["id"], outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("adopted"):
            return  # granted before the stack existed: left in place, time-bound since the adoption
        with failing_as(label(props, f"eligibility {id_}")), graph_for(props) as g:
            try:
                self._request(g, "adminRemove", props)
            except GraphError as e:
                if not (e.not_found or e.code.lower() in GONE_CODES):
                    raise


class RoleEligibility(pulumi.dynamic.Resource, module="ztb", name="RoleEligibility"):
    """A principal's time-bound eligible assignment to a directory role (ID: the schedule ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RoleEligibilityProvider(), name, props, opts)
