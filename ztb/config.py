"""Stack configuration: read once, validated completely, before anything is declared or printed.

Both the Pulumi program (``pulumi.Config``) and the offline commands (the ``Pulumi.<stack>.yaml``
file) end in :func:`validate`, so a stack that ``ztb plan`` accepts is the stack ``pulumi up``
deploys. Every problem is reported as one line that names the key and the fix; all problems are
collected before failing so an engineer fixes a config in one round trip.

The two paths see the same values: Pulumi hands a program every top-level value as a string
(``pulumi config set ztb:signInFrequencyHours 4`` writes ``"4"``) and structured values as JSON, so
the file path turns top-level scalars into the same strings, numbers and switches accept exactly
the spellings Pulumi writes, and YAML is read with the YAML 1.2 core schema that Pulumi's own
parser uses (``yes`` is a string, not ``true``). Hostile input is bounded before it is parsed:
size before reading, depth and duplicates while the parser's events are read, before any value
is built from them.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, TypeAdapter, ValidationError, field_validator

from ztb.catalogue import roles as role_catalogue

NAMESPACE = "ztb"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECURITY_COPILOT_APP_ID = "bb5ffd56-39eb-458c-a53a-775ba21277da"
_DURATION = TypeAdapter(timedelta)

#: A real stack config is a few kilobytes (a thousand eligible admins is about 100 KB); anything
#: larger is refused before it is read, so a huge file or /dev/zero costs nothing.
MAX_CONFIG_BYTES = 1024 * 1024
#: Deepest nesting a stack config can need is 4 (config > ztb:pim > approvalRoles > item).
MAX_DEPTH = 16
#: A config with thousands of bad entries still gets a readable answer.
MAX_PROBLEMS = 50
#: How much of a bad value a message repeats.
ECHO_CHARS = 60

Guid = str  # validated by the `_guid` validators below, so messages can name the fix


class ConfigError(Exception):
    """One or more problems in a stack config; each is a complete one-line message."""

    def __init__(self, problems: list[str]):
        if len(problems) > MAX_PROBLEMS:
            problems = problems[:MAX_PROBLEMS] + [f"... and {len(problems) - MAX_PROBLEMS} more problems; fix the ones above first"]
        self.problems = [one_line(p) for p in problems]
        super().__init__("\n".join(self.problems))


def one_line(text: str) -> str:
    """A message stays one line whatever a key or value holds (newlines, escapes, NULs)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def echo(value: Any) -> str:
    """A bad value as a message repeats it: quoted, escaped, cut short."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 3] + "..."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _check_guid(value: str) -> str:
    if not isinstance(value, str) or not role_catalogue.GUID_RE.match(value):
        raise ValueError(
            f"{echo(value)} is not an object ID; use the GUID shown in the Entra admin center "
            "(form 00000000-0000-0000-0000-000000000000)"
        )
    return value.lower()


def _guid_list(values: list[str]) -> list[str]:
    """Object IDs, lowercased; the same object twice (in any letter case) is a mistake, not a no-op."""
    out = [_check_guid(x) for x in values]
    seen: set[str] = set()
    for x in out:
        if x in seen:
            raise ValueError(f"{x} is listed twice (object IDs are compared case-insensitively); list each object once")
        seen.add(x)
    return out


def _int_text(value: Any) -> Any:
    """A whole number, or the decimal text Pulumi writes for one; never a switch or a fraction."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{echo(value)} is not a whole number; write a number such as 4")
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,6}", value):
            raise ValueError(f"{echo(value)} is not a whole number; write a number such as 4")
        return int(value)
    return value


def _bool_text(value: Any) -> Any:
    """true or false, or the text Pulumi writes for them; never 1, yes or on."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "True", "false", "False"):
        return value.lower() == "true"
    raise ValueError(f"{echo(value)} is not true or false; write true or false")


ConfigInt = Annotated[int, BeforeValidator(_int_text), Strict()]
ConfigBool = Annotated[bool, BeforeValidator(_bool_text), Strict()]


def parse_duration(value: str) -> timedelta:
    """ISO 8601 duration as Graph writes them (PT1H, PT60M, P90D)."""
    try:
        return _DURATION.validate_python(value)
    except ValidationError:
        raise ValueError(f"{echo(value)} is not an ISO 8601 duration such as PT1H or P90D") from None


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
    requireTicket: ConfigBool = False

    @field_validator("notificationMailbox")
    @classmethod
    def _mailbox(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError(f"{echo(v)} is not an email address; name the security team's mailbox, e.g. secops@contoso.com")
        return v

    _approver = field_validator("approverGroupId")(lambda v: v if v is None else _check_guid(v))

    @field_validator("activationMaxDuration", "approvalRolesActivationMaxDuration")
    @classmethod
    def _activation(cls, v: str) -> str:
        d = parse_duration(v)
        if not timedelta(minutes=30) <= d <= timedelta(hours=24):
            raise ValueError(f"{echo(v)} is outside what PIM allows for activation; choose between PT30M and PT24H")
        return v

    @field_validator("eligibleAssignmentMaxDuration", "activeAssignmentMaxDuration")
    @classmethod
    def _expiry(cls, v: str) -> str:
        d = parse_duration(v)
        if not timedelta(days=1) <= d <= timedelta(days=365):
            raise ValueError(f"{echo(v)} must be between P1D and P365D: permanent assignments are not allowed")
        return v

    @field_validator("authenticationContext")
    @classmethod
    def _context(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not re.match(r"^c([1-9]|[1-9][0-9])$", v):
            raise ValueError(f"{echo(v)} is not an authentication context ID; use c1 to c99")
        return v


class DeviceCompliance(_Strict):
    enabled: ConfigBool = True
    osMinimumVersion: str = "10.0.19045.0"
    deviceThreatLevel: Optional[Literal["secured", "low", "medium"]] = None
    assignExistingPolicyIds: list[str] = Field(default_factory=list)

    _ids = field_validator("assignExistingPolicyIds")(_guid_list)

    @field_validator("osMinimumVersion")
    @classmethod
    def _os(cls, v: str) -> str:
        if not re.match(r"^\d+\.\d+\.\d+(\.\d+)?$", v):
            raise ValueError(f"{echo(v)} is not a Windows version; use the form 10.0.19045.0")
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
    reportOnly: ConfigBool = Field(default=True, description="Roll the current phase out report-only before enforcing.")
    reportOnlyControls: list[str] = Field(default_factory=list, description="Control IDs that stay report-only while the rest enforce.")
    namePrefix: str = "ZTB"
    tenantId: Optional[str] = None
    emergencyAccessGroupId: Optional[str] = None
    emergencyAccessUserIds: list[str] = Field(default_factory=list)
    conditionalAccessExclusionGroupId: Optional[str] = None
    conditionalAccessExclusionMemberIds: list[str] = Field(
        default_factory=list,
        description="The audited members of the CA exclusion group; drift reports any other member as weakening.",
    )
    privilegedGroupId: Optional[str] = None
    groupOwners: Optional[list[str]] = Field(
        default=None,
        description="Users or service principals that own every baseline group (default: the break-glass accounts).",
    )
    ringGroupIds: RingGroupIds = Field(default_factory=RingGroupIds)
    roles: RoleScope = Field(default_factory=RoleScope)
    securityApps: list[SecurityApp] = Field(
        default_factory=lambda: [SecurityApp(name="Microsoft Security Copilot", appId=SECURITY_COPILOT_APP_ID)]
    )
    signInFrequencyHours: ConfigInt = Field(default=1, ge=1, le=24)
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

    _lists = field_validator("emergencyAccessUserIds", "conditionalAccessExclusionMemberIds")(_guid_list)

    @field_validator("groupOwners")
    @classmethod
    def _owners(cls, v: Optional[list[str]]) -> Optional[list[str]]:
        if v is None:
            return None
        if not v:
            raise ValueError(
                "is empty, but a group cannot be left without owners: pulumi-azuread makes the deploying principal the owner; "
                "list the users or service principals that may own the baseline's groups, or remove the key to default to "
                "the break-glass accounts"
            )
        return _guid_list(v)

    @field_validator("eligibility")
    @classmethod
    def _eligibility(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        spelled: dict[str, str] = {}
        for key, names in v.items():
            principal = _check_guid(key)
            if principal in out:
                raise ValueError(
                    f"principal {principal} is listed twice ({spelled[principal]!r} and {key!r}); object IDs are "
                    "case-insensitive, so one role list would be lost: merge them under one key"
                )
            out[principal], spelled[principal] = names, key
        return out

    @field_validator("namePrefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,19}$", v):
            raise ValueError(f"{echo(v)} must be 1-20 letters, digits, spaces, dots, dashes or underscores")
        return v

    @property
    def enforcing(self) -> bool:
        return not self.reportOnly

    @property
    def owner_ids(self) -> list[str]:
        """Declared owners of every baseline group (``groupOwners``, else the break-glass accounts)."""
        return list(self.groupOwners if self.groupOwners is not None else self.emergencyAccessUserIds)


VALID_KEYS = sorted(BaselineConfig.model_fields)


def _key(loc: tuple) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int) and parts:
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


def validate(values: dict[str, Any]) -> BaselineConfig:
    """Validate the ``ztb:`` keys (namespace already stripped); raise ConfigError listing every problem.

    After the schema come the checks across keys and, last, those of the baseline built from the
    config, as pulumi-azuread and the engine would make them (:mod:`ztb.model.checks`), so
    `ztb plan` refuses what `pulumi preview` would.
    """
    try:
        cfg = BaselineConfig.model_validate(values)
    except ValidationError as e:
        raise ConfigError(_messages(e)) from None
    except RecursionError:
        raise ConfigError([f"config is nested too deeply (more than {MAX_DEPTH} levels); a stack config needs at most 4"]) from None
    from ztb.model import checks  # deferred: the model imports this module

    problems = checks.problems(cfg)
    if problems:
        raise ConfigError(problems)
    return cfg


# -- reading: the program's strings and the stack file -------------------------------------------

def _depth_of_json(text: str) -> int:
    """Deepest bracket nesting of JSON text, counted without parsing it (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


class _Duplicate(ValueError):
    def __init__(self, key: Any):
        super().__init__(key)
        self.key = key


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _decode(key: str, value: Any, source: str) -> Any:
    """Pulumi hands structured config to programs as JSON strings; other strings stay strings.

    Only text that opens a JSON object or list is decoded, so ``"2024"`` stays the name prefix
    it is and ``"4"`` becomes a number only where a field wants one.
    """
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return value
    if _depth_of_json(value) > MAX_DEPTH:
        raise ConfigError([f"{source}: config '{key}' is nested more than {MAX_DEPTH} levels deep; a stack config needs at most 4"])
    try:
        return json.loads(value, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except _Duplicate as d:
        raise ConfigError([f"{source}: config '{key}' holds the key {echo(d.key)} twice; the last one would silently win, keep one"]) from None
    except (ValueError, RecursionError):
        raise ConfigError([f"{source}: config '{key}' is not valid JSON; Pulumi passes structured values as JSON, set it with `pulumi config set --path`"]) from None


def _as_pulumi_string(value: Any) -> Any:
    """A top-level scalar as the string Pulumi hands the program (``4`` -> ``"4"``, ``true`` -> ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return repr(value)
    return value


def split_namespace(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """Keep the ``ztb:`` keys; other namespaces (``azuread:``, ``pulumi:``) belong to others.

    Every source ends up in the program's form: top-level scalars as strings, structured values
    decoded from JSON (bounded in size and depth before decoding, duplicate keys refused).
    """
    values: dict[str, Any] = {}
    total = 0
    for key, value in raw.items():
        ns, sep, name = str(key).partition(":")
        if not sep:
            raise ConfigError([f"{source}: config key {echo(str(key))} has no namespace; write it as '{NAMESPACE}:{key}'"])
        if ns != NAMESPACE:
            continue
        if isinstance(value, dict) and "secure" in value and len(value) == 1:
            raise ConfigError([f"{source}: config '{key}' is a secret; baseline settings are object IDs, not secrets: set it with plain `pulumi config set`"])
        if isinstance(value, str):
            total += len(value.encode("utf-8", "surrogatepass"))
            if total > MAX_CONFIG_BYTES:
                raise ConfigError([f"{source}: the ztb: config is larger than {MAX_CONFIG_BYTES // 1024} KiB; a real stack needs a few KiB"])
        values[name] = _decode(str(key), _as_pulumi_string(value), source)
    return values


class _StackFileError(ValueError):
    """A stack file Pulumi's way of reading would not agree with, or a hostile one."""


#: YAML 1.2 core schema, what Pulumi's YAML parser resolves plain scalars to; the rest are strings
#: (PyYAML's YAML 1.1 default reads ``yes``/``on`` as true and ``2024-01-01`` as a date).
_CORE = (
    (re.compile(r"^(?:~|null|Null|NULL|)$"), lambda t: None),
    (re.compile(r"^(?:true|True|TRUE)$"), lambda t: True),
    (re.compile(r"^(?:false|False|FALSE)$"), lambda t: False),
    (re.compile(r"^[-+]?[0-9]+$"), lambda t: int(t, 10)),
    (re.compile(r"^0o[0-7]+$"), lambda t: int(t[2:], 8)),
    (re.compile(r"^0x[0-9a-fA-F]+$"), lambda t: int(t[2:], 16)),
    (re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"), float),
    (re.compile(r"^[-+]?\.(?:inf|Inf|INF)$"), lambda t: float(t.replace(".", ""))),
    (re.compile(r"^\.(?:nan|NaN|NAN)$"), lambda t: float("nan")),
)
_STR_TAG = "tag:yaml.org,2002:str"
_NO_KEY = object()


def _scalar(event: Any) -> Any:
    if event.tag not in (None, "!", _STR_TAG):
        raise _StackFileError(f"uses the tag {echo(event.tag)} at line {event.start_mark.line + 1}; write plain values")
    if event.tag is None and event.implicit[0]:  # plain, untagged: resolve like YAML 1.2
        for pattern, make in _CORE:
            if pattern.match(event.value):
                return make(event.value)
    return event.value


def load_yaml(text: str) -> Any:
    """One YAML document as Pulumi reads a stack file, built from the parser's events.

    Built iteratively from libyaml's event stream (fast, and no recursion for deep nesting to
    exhaust), refusing what would make this reading differ from Pulumi's or be hostile: a key
    given twice (the last would silently win), aliases and merge keys (a small file can expand
    into an enormous config), nesting deeper than MAX_DEPTH, more than one document.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root: Any = _NO_KEY
    stack: list[list[Any]] = []  # [container, pending key] per open mapping or sequence
    documents = 0

    def line(event: Any) -> int:
        return event.start_mark.line + 1

    def attach(value: Any, event: Any, container: bool) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        elif top[1] is _NO_KEY:
            if container:
                raise _StackFileError(f"has a key that is a list or mapping at line {line(event)}; keys are names")
            if value == "<<" and event.tag is None and event.implicit[0]:
                raise _StackFileError(f"uses a merge key (<<) at line {line(event)}; write the keys out")
            if value in top[0]:
                raise _StackFileError(f"holds the key {echo(value)} twice (line {line(event)}); the last one would silently win, keep one")
            top[1] = value
        else:
            top[0][top[1]] = value
            top[1] = _NO_KEY

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise _StackFileError(f"uses an alias (*{event.anchor}) at line {line(event)}; write the value out, as `pulumi config set` does")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _StackFileError(f"holds more than one YAML document (line {line(event)}); a stack file is one")
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= MAX_DEPTH:
                raise _StackFileError(f"is nested more than {MAX_DEPTH} levels deep at line {line(event)}; a stack config needs at most 4")
            if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                raise _StackFileError(f"uses the tag {echo(event.tag)} at line {line(event)}; write plain values")
            value: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            attach(value, event, container=True)
            stack.append([value, _NO_KEY])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            attach(_scalar(event), event, container=False)
    return None if root is _NO_KEY else root


_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"


def _decode_file(p: Path, data: bytes) -> str:
    """Text of a stack file: UTF-8, with or without a byte-order mark, as `pulumi config set` writes it.

    UTF-16 and UTF-32 are refused by name rather than guessed at: a stack file in them was
    re-saved by an editor, and reading it differently from Pulumi would plan another stack.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise ConfigError([f"{p}: not UTF-8 text ({name}, by its byte-order mark); save the stack file as UTF-8, as `pulumi config set` writes it"])
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError([f"{p}: not UTF-8 text (byte {e.start}); a stack config is a YAML file written by `pulumi config set`"]) from None


def _read_bounded(p: Path) -> bytes:
    """At most MAX_CONFIG_BYTES + 1 bytes: a huge file, a FIFO or /dev/zero is refused, not read."""
    try:
        with p.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"{p}: no such stack config file; pass --config Pulumi.<stack>.yaml"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{p}: is a directory; pass the stack file, e.g. --config Pulumi.<stack>.yaml"]) from None
    except OSError as e:
        raise ConfigError([f"{p}: cannot read stack config ({e.strerror}); pass a readable --config file"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{p}: larger than {MAX_CONFIG_BYTES // 1024} KiB; a stack config is a few KiB, pass the Pulumi.<stack>.yaml file"])
    return data


def load_stack_file(path: str | Path) -> BaselineConfig:
    """Read a ``Pulumi.<stack>.yaml`` file and validate its ``ztb:`` keys."""
    p = Path(path)
    text = _decode_file(p, _read_bounded(p))
    try:
        doc = load_yaml(text)
    except _StackFileError as e:
        raise ConfigError([f"{p}: {e}"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        if "nesting depth" in str(getattr(e, "problem", "")):  # libyaml's own limit, met while scanning ahead
            raise ConfigError([f"{p}: is nested more than {MAX_DEPTH} levels deep; a stack config needs at most 4"]) from None
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError([f"{p}: not valid YAML{where}; fix the stack file's syntax"]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ConfigError([f"{p}: no 'config:' mapping; a stack file holds its settings under 'config:'"])
    return validate(split_namespace(doc["config"], str(p)))
