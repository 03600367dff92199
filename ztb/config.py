"""Stack configuration: read once, validated completely, before anything is declared or printed.

Both the Pulumi program (``pulumi.Config``) and the offline commands (the ``Pulumi.<stack>.yaml``
file) end in :func:`validate`, so a stack that ``ztb plan`` accepts is the stack ``pulumi up``
deploys. Every problem is reported as one line that names the key and the fix; all problems are
collected before failing so an engineer fixes a config in one round trip.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from . import roles as role_catalogue

NAMESPACE = "ztb"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECURITY_COPILOT_APP_ID = "bb5ffd56-39eb-458c-a53a-775ba21277da"
_DURATION = TypeAdapter(timedelta)

Guid = str  # validated by the `_guid` validators below, so messages can name the fix


class ConfigError(Exception):
    """One or more problems in a stack config; each is a complete one-line message."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _check_guid(value: str) -> str:
    if not isinstance(value, str) or not role_catalogue.GUID_RE.match(value):
        raise ValueError(
            f"{value!r} is not an object ID; use the GUID shown in the Entra admin center "
            "(form 00000000-0000-0000-0000-000000000000)"
        )
    return value.lower()


def parse_duration(value: str) -> timedelta:
    """ISO 8601 duration as Graph writes them (PT1H, PT60M, P90D)."""
    try:
        return _DURATION.validate_python(value)
    except ValidationError:
        raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT1H or P90D") from None


class RoleScope(_Strict):
    add: list[str] = Field(default_factory=list, description="Roles to cover beyond the default union, by name or template ID.")
    remove: list[str] = Field(default_factory=list, description="Roles to leave out of the default union (warned when an authority counts them privileged).")


class SecurityApp(_Strict):
    name: str
    appId: str

    _guid = field_validator("appId")(_check_guid)


class AcceptedPolicy(_Strict):
    """A Conditional Access policy outside the baseline that reaches privileged users on purpose."""

    id: str
    reason: str = Field(min_length=3)

    _guid = field_validator("id")(_check_guid)


class Pim(_Strict):
    notificationMailbox: str = Field(description="Security mailbox that receives admin notifications of assignments and activations.")
    approverGroupId: Optional[str] = Field(default=None, description="Group whose members approve activation of the approval roles.")
    approvalRoles: list[str] = Field(default_factory=lambda: ["Global Administrator", "Privileged Role Administrator"])
    activationMaxDuration: str = "PT2H"
    approvalRolesActivationMaxDuration: str = "PT1H"
    eligibleAssignmentMaxDuration: str = "P180D"
    activeAssignmentMaxDuration: str = "P30D"
    authenticationContext: Optional[str] = Field(default=None, description="Authentication context claim (c1..c99) required on activation instead of plain MFA.")
    requireTicket: bool = False

    @field_validator("notificationMailbox")
    @classmethod
    def _mailbox(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError(f"{v!r} is not an email address; name the security team's mailbox, e.g. secops@contoso.com")
        return v

    _approver = field_validator("approverGroupId")(lambda v: v if v is None else _check_guid(v))

    @field_validator("activationMaxDuration", "approvalRolesActivationMaxDuration")
    @classmethod
    def _activation(cls, v: str) -> str:
        d = parse_duration(v)
        if not timedelta(minutes=30) <= d <= timedelta(hours=24):
            raise ValueError(f"{v!r} is outside what PIM allows for activation; choose between PT30M and PT24H")
        return v

    @field_validator("eligibleAssignmentMaxDuration", "activeAssignmentMaxDuration")
    @classmethod
    def _expiry(cls, v: str) -> str:
        d = parse_duration(v)
        if not timedelta(days=1) <= d <= timedelta(days=365):
            raise ValueError(f"{v!r} must be between P1D and P365D: permanent assignments are not allowed")
        return v

    @field_validator("authenticationContext")
    @classmethod
    def _context(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not re.match(r"^c([1-9]|[1-9][0-9])$", v):
            raise ValueError(f"{v!r} is not an authentication context ID; use c1 to c99")
        return v


class DeviceCompliance(_Strict):
    enabled: bool = True
    osMinimumVersion: str = "10.0.19045.0"
    deviceThreatLevel: Optional[Literal["secured", "low", "medium"]] = None
    assignExistingPolicyIds: list[str] = Field(default_factory=list)

    @field_validator("assignExistingPolicyIds")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        return [_check_guid(x) for x in v]

    @field_validator("osMinimumVersion")
    @classmethod
    def _os(cls, v: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+(\.\d+)?$", v):
            raise ValueError(f"{v!r} is not a Windows version; use the form 10.0.19045.0")
        return v


class RingGroupIds(_Strict):
    evaluate: Optional[str] = None
    pilot: Optional[str] = None
    full: Optional[str] = None

    @field_validator("evaluate", "pilot", "full")
    @classmethod
    def _ids(cls, v: Optional[str]) -> Optional[str]:
        return v if v is None else _check_guid(v)


class BaselineConfig(_Strict):
    """The whole stack config under the ``ztb:`` namespace."""

    phase: Literal["evaluate", "pilot", "full"]
    level: Literal["enterprise", "specialized"] = "specialized"
    reportOnly: bool = Field(default=True, description="Roll the current phase out report-only before enforcing.")
    reportOnlyControls: list[str] = Field(default_factory=list, description="Control IDs that stay report-only while the rest enforce.")
    namePrefix: str = "ZTB"
    tenantId: Optional[str] = None
    emergencyAccessGroupId: Optional[str] = None
    emergencyAccessUserIds: list[str] = Field(default_factory=list)
    conditionalAccessExclusionGroupId: Optional[str] = None
    privilegedGroupId: Optional[str] = None
    ringGroupIds: RingGroupIds = Field(default_factory=RingGroupIds)
    roles: RoleScope = Field(default_factory=RoleScope)
    securityApps: list[SecurityApp] = Field(
        default_factory=lambda: [SecurityApp(name="Microsoft Security Copilot", appId=SECURITY_COPILOT_APP_ID)]
    )
    signInFrequencyHours: int = Field(default=1, ge=1, le=24)
    pim: Pim
    deviceCompliance: DeviceCompliance = Field(default_factory=DeviceCompliance)
    eligibility: dict[str, list[str]] = Field(default_factory=dict, description="Principal object ID -> roles it becomes eligible for.")
    acceptedUnmanagedPolicies: list[AcceptedPolicy] = Field(
        default_factory=list,
        description="Tenant-wide policies drift may see reaching privileged users without reporting them, unless they weaken.",
    )

    @field_validator("tenantId", "emergencyAccessGroupId", "conditionalAccessExclusionGroupId", "privilegedGroupId")
    @classmethod
    def _ids(cls, v: Optional[str]) -> Optional[str]:
        return v if v is None else _check_guid(v)

    @field_validator("emergencyAccessUserIds")
    @classmethod
    def _users(cls, v: list[str]) -> list[str]:
        return [_check_guid(x) for x in v]

    @field_validator("eligibility")
    @classmethod
    def _eligibility(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return {_check_guid(k): roles for k, roles in v.items()}

    @field_validator("namePrefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,19}$", v):
            raise ValueError(f"{v!r} must be 1-20 letters, digits, spaces, dots, dashes or underscores")
        return v

    @property
    def enforcing(self) -> bool:
        return not self.reportOnly


VALID_KEYS = sorted(BaselineConfig.model_fields)


def _key(loc: tuple) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts[-1] = f"{parts[-1]}[{p}]"
        else:
            parts.append(str(p))
    return f"{NAMESPACE}:" + ".".join(parts)


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: Any = BaselineConfig
    for p in loc[:-1]:
        if isinstance(p, int):
            continue
        field = model.model_fields.get(p)
        if field is None:
            return None
        ann = field.annotation
        for cand in (ann, *getattr(ann, "__args__", ())):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                model = cand
                break
        else:
            return None
    return model


def _messages(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = e["loc"]
        key = _key(loc)
        if e["type"] == "extra_forbidden":
            model = _model_at(loc)
            valid = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            out.append(f"config key '{key}' is not known; {hint}valid keys here: {', '.join(valid)}")
        elif e["type"] == "missing":
            out.append(f"config key '{key}' is required; set it with `pulumi config set {key} ...` or in the stack file")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            out.append(f"config '{key}': {msg}")
    return out


def _semantic_problems(cfg: BaselineConfig) -> list[str]:
    problems = []
    if not cfg.emergencyAccessGroupId and not cfg.emergencyAccessUserIds:
        problems.append(
            "config has no emergency-access (break-glass) accounts: set 'ztb:emergencyAccessGroupId' to the "
            "exclusion group's object ID, or 'ztb:emergencyAccessUserIds' to the break-glass user IDs; "
            "no policy is planned without this exclusion"
        )
    if cfg.emergencyAccessGroupId and cfg.emergencyAccessUserIds:
        problems.append(
            "config sets both 'ztb:emergencyAccessGroupId' and 'ztb:emergencyAccessUserIds'; keep one "
            "(the existing group, or the users for a group the stack creates)"
        )
    for i, name in enumerate(cfg.roles.add):
        problems += _role_problem(f"roles.add[{i}]", name)
    for i, name in enumerate(cfg.roles.remove):
        problems += _role_problem(f"roles.remove[{i}]", name)
    for i, name in enumerate(cfg.pim.approvalRoles):
        problems += _role_problem(f"pim.approvalRoles[{i}]", name)
    for principal, names in cfg.eligibility.items():
        for i, name in enumerate(names):
            problems += _role_problem(f"eligibility.{principal}[{i}]", name)
    if cfg.pim.approvalRoles and not cfg.pim.approverGroupId:
        problems.append(
            "config 'ztb:pim.approverGroupId' is required while 'ztb:pim.approvalRoles' is not empty; "
            "name the group whose members approve activations (not the requesters themselves)"
        )
    return problems


def _role_problem(where: str, name: str) -> list[str]:
    try:
        role_catalogue.resolve(name)
    except role_catalogue.UnknownRoleError as e:
        return [f"config '{NAMESPACE}:{where}': {e}"]
    return []


def validate(values: dict[str, Any]) -> BaselineConfig:
    """Validate the ``ztb:`` keys (namespace already stripped); raise ConfigError listing every problem."""
    try:
        cfg = BaselineConfig.model_validate(values)
    except ValidationError as e:
        raise ConfigError(_messages(e)) from None
    problems = _semantic_problems(cfg)
    if problems:
        raise ConfigError(problems)
    return cfg


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON strings; plain strings stay strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def split_namespace(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """Keep the ``ztb:`` keys; other namespaces (``azuread:``, ``pulumi:``) belong to others."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        ns, sep, name = str(key).partition(":")
        if not sep:
            raise ConfigError([f"{source}: config key '{key}' has no namespace; write it as '{NAMESPACE}:{key}'"])
        if ns != NAMESPACE:
            continue
        if isinstance(value, dict) and "secure" in value and len(value) == 1:
            raise ConfigError([f"{source}: config '{key}' is a secret; baseline settings are object IDs, not secrets: set it with plain `pulumi config set`"])
        values[name] = _decode(value)
    return values


def load_stack_file(path: str | Path) -> BaselineConfig:
    """Read a ``Pulumi.<stack>.yaml`` file and validate its ``ztb:`` keys."""
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{p}: no such stack config file; pass --config Pulumi.<stack>.yaml"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{p}: is a directory; pass the stack file, e.g. --config Pulumi.<stack>.yaml"]) from None
    except OSError as e:
        raise ConfigError([f"{p}: cannot read stack config ({e.strerror}); pass a readable --config file"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{p}: not UTF-8 text; a stack config is a YAML file written by `pulumi config set`"]) from None
    except RecursionError:
        raise ConfigError([f"{p}: YAML nested too deeply; fix the stack file"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError([f"{p}: not valid YAML{where}; fix the stack file's syntax"]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ConfigError([f"{p}: no 'config:' mapping; a stack file holds its settings under 'config:'"])
    return validate(split_namespace(doc["config"], str(p)))
