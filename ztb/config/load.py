"""Reading config as Pulumi hands it: the program's strings and the ``Pulumi.<stack>.yaml`` file.

The two paths see the same values: Pulumi hands a program every top-level value as a string and
structured values as JSON, so the file path turns top-level scalars into the same strings, and
YAML is read with the YAML 1.2 core schema that Pulumi's own parser uses (``yes`` is a string, not
``true``). Hostile input is bounded before it is parsed: size before reading, depth and
duplicates while the parser's events are read, before any value is built from them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ztb.config.problems import MAX_CONFIG_BYTES, MAX_DEPTH, NAMESPACE, ConfigError, echo
from ztb.config.validation import validated

if TYPE_CHECKING:
    from ztb.config.schema import BaselineConfig
    from ztb.model.baseline import Baseline


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
    return load_stack_baseline(path).config


def load_stack_baseline(path: str | Path) -> Baseline:
    """The baseline of a ``Pulumi.<stack>.yaml`` file: read, validated and built once."""
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
    return validated(split_namespace(doc["config"], str(p)))
