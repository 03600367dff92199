"""Read an input file and fail in one line: the one reader behind every file ztb is handed.

A snapshot (`ztb drift --snapshot`), a previous drift result (``--previous``), a preview
(`ztb review`) and a stack config (``--config``) are all files a user, a pipeline or an attacker
can hand ztb. Each is read the same way, so each refuses the same hostile inputs with one line
instead of a hang, a MemoryError or a RecursionError:

- :func:`read_bytes`: at most one byte past the caller's limit, so ``/dev/zero`` or a 10 GB file
  costs the limit, not the file (``-`` reads stdin);
- :func:`decode`: UTF-8, a UTF-8 byte-order mark allowed (PowerShell and Notepad write one);
  UTF-16 and UTF-32 refused by name, by their byte-order mark, rather than guessed at;
- :func:`parse_json`: strict JSON, no key twice in one object (the last would silently win, so
  an edit could hide a value from the reader), no NaN or Infinity (no encoder ztb reads writes
  them);
- :func:`check_tree`: nesting bounded and every string Unicode text (a lone surrogate escape such
  as ``\\ud800`` parses, but no output format can write it), checked without recursion.

Problems are :class:`InputError` whose text says what is wrong; the caller adds which file and
the fix, so each command keeps its own words around one shared check.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from ztb.render.plan import truncate

#: Byte-order marks of the encodings that are refused by name (longest first: UTF-32 LE starts
#: with UTF-16 LE's mark).
BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))
UTF8_BOM = b"\xef\xbb\xbf"


class InputError(ValueError):
    """An input file that cannot be read within the limits (the caller adds which file and the fix)."""


def read_bytes(path: Union[str, Path], max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``path`` (``-``: stdin); the caller refuses a longer answer.

    OSError (FileNotFoundError, IsADirectoryError, ...) passes through: each caller words it
    with its own fix.
    """
    if str(path) == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is not None:
            return stream.read(max_bytes + 1)
        return sys.stdin.read(max_bytes + 1).encode("utf-8", "surrogatepass")
    with open(path, "rb") as f:
        return f.read(max_bytes + 1)


def decode(data: bytes, fix: Optional[str] = None, utf16_fix: Optional[str] = None) -> str:
    """UTF-8 text of ``data`` (a UTF-8 byte-order mark is dropped), else InputError.

    ``fix`` ends the message of bytes that are not UTF-8, ``utf16_fix`` (default: ``fix``) that of
    a UTF-16 or UTF-32 file.
    """
    for bom, name in BOMS:
        if data.startswith(bom):
            fix16 = utf16_fix or fix
            raise InputError(f"not UTF-8 text ({name}, by its byte-order mark)" + (f"; {fix16}" if fix16 else ""))
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start})" + (f"; {fix}" if fix else "")) from None


def _no_constant(name: str) -> Any:
    raise InputError(f"'{name}' is not JSON (Graph never writes NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise InputError(f"the key '{truncate(dup, 80)}' appears twice in one object (the last would silently win)")
    return out


def parse_json(text: str, max_depth: int, depth_note: str) -> Any:
    """Strict JSON: no repeated key, no NaN/Infinity; a parse error names its line and column.

    The parser's own recursion limit is far above ``max_depth``; :func:`check_tree` enforces it.
    """
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        cut = " (the file ends early: truncated)" if e.pos >= len(text.rstrip()) else ""
        raise InputError(f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}{cut}") from None
    except RecursionError:
        raise InputError(f"JSON nested too deeply (more than the {max_depth} levels ztb reads; {depth_note})") from None


def check_tree(doc: Any, max_depth: int, depth_note: str) -> None:
    """Refuse nesting deeper than ``max_depth`` and strings that are not Unicode text, without recursion.

    Every value of a snapshot passes here, so the loop is written out (no call per value): this
    walk is a good part of what reading a large tenant costs.
    """
    if isinstance(doc, str) and not doc.isascii():
        _text(doc)
    stack: list[tuple[Any, int]] = [(doc, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > max_depth:
            raise InputError(f"nested too deeply (more than the {max_depth} levels ztb reads; {depth_note})")
        inner = depth + 1
        if isinstance(node, dict):
            for k, v in node.items():
                if not k.isascii():
                    _text(k)
                if isinstance(v, str):
                    if not v.isascii():
                        _text(v)
                elif isinstance(v, (dict, list)):
                    push((v, inner))
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, str):
                    if not v.isascii():
                        _text(v)
                elif isinstance(v, (dict, list)):
                    push((v, inner))


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"the string '{truncate(value, 80)}' holds a lone UTF-16 surrogate, which is not text") from None


def read_json(path: Union[str, Path], max_bytes: int, max_depth: int, depth_note: str) -> Any:
    """A JSON input file within the size limit, UTF-8 and strict; InputError or OSError.

    The tree is not walked here (:func:`check_tree`): a snapshot's reader words a deep tree with
    the format's fix, not the file's.
    """
    data = read_bytes(path, max_bytes)
    if len(data) > max_bytes:
        raise InputError(f"larger than the {max_bytes // (1024 * 1024)} MiB limit (no real tenant's export comes near it)")
    return parse_json(decode(data), max_depth, depth_note)


@dataclass(frozen=True)
class Wording:
    """How one reader words the ways a file can fail: ``{name}: {problem}; {fix}``.

    ``missing`` follows "no such file; ", ``unreadable`` an OS error, ``invalid`` an InputError.
    """

    name: str
    missing: str
    unreadable: str
    invalid: str


def load_json(path: Union[str, Path], words: Wording, error: type[Exception], *, max_bytes: int, max_depth: int,
              depth_note: str, walk: bool = True) -> Any:
    """:func:`read_json` (and with ``walk`` :func:`check_tree`), every failure one ``error`` line."""
    try:
        doc = read_json(path, max_bytes, max_depth, depth_note)
        if walk:
            check_tree(doc, max_depth, depth_note)
    except FileNotFoundError:
        raise error(f"{words.name}: no such file; {words.missing}") from None
    except OSError as e:
        raise error(f"{words.name}: cannot be read ({e.strerror or e}); {words.unreadable}") from None
    except InputError as e:
        raise error(f"{words.name}: {e}; {words.invalid}") from None
    return doc
