"""How a config problem is told: one line naming the key and the fix, bounded however hostile the input.

Every limit a message names lives here too, so the message and the check cannot disagree.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from ztb.errors import ZtbError

NAMESPACE = "ztb"
#: A real stack config is a few kilobytes (a thousand eligible admins is about 100 KB); anything
#: larger is refused before it is read, so a huge file or /dev/zero costs nothing.
MAX_CONFIG_BYTES = 1024 * 1024
#: Deepest nesting a stack config can need is 4 (config > ztb:pim > approvalRoles > item).
MAX_DEPTH = 16
#: A config with thousands of bad entries still gets a readable answer.
MAX_PROBLEMS = 50
#: How much of a bad value a message repeats.
ECHO_CHARS = 60


class ConfigError(ZtbError):
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


def _key(loc: tuple) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int) and parts:
            parts[-1] = f"{parts[-1]}[{p}]"
        else:
            parts.append(str(p))
    return f"{NAMESPACE}:" + ".".join(parts)


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    model: Any = root
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


def messages(err: ValidationError, root: type[BaseModel]) -> list[str]:
    """Pydantic's errors as one line each, under the key a user writes (``ztb:pim.approvalRoles[0]``)."""
    out = []
    for e in err.errors():
        loc = e["loc"]
        key = _key(loc)
        if e["type"] == "extra_forbidden":
            model = _model_at(root, loc)
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
