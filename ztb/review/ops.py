"""The operations of a preview, and the five a reviewer reads them as.

`pulumi preview --json` names each step with one of Pulumi's step ops (strings it defines; they
stay strings). A reviewer counts fewer: a replacement is one change whether the preview shows it
as one step or three, an import is a create. Those are ztb's own words, an :class:`Op`.
"""

from __future__ import annotations

from enum import Enum


class Op(str, Enum):
    """What a change does to a resource, as a reviewer counts it (the ``op`` of the JSON output)."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    #: A `same` step shown because `protect` changed.
    PROTECT = "protect"

    def __str__(self) -> str:  # the word, in f-strings and str() alike, on every Python
        return self.value


#: The four a review's summary counts, in the order it prints them.
COUNTED = (Op.CREATE, Op.UPDATE, Op.REPLACE, Op.DELETE)

#: Preview operations -> the four a reviewer counts. The rest (same, read, refresh, ...) change nothing.
OPERATIONS: dict[str, Op] = {
    "create": Op.CREATE, "import": Op.CREATE,
    "update": Op.UPDATE,
    "replace": Op.REPLACE, "create-replacement": Op.REPLACE, "delete-replaced": Op.REPLACE,
    "import-replacement": Op.REPLACE, "discard-replaced": Op.REPLACE,
    "delete": Op.DELETE, "discard": Op.DELETE,
}
#: Every step op `pulumi preview --json` emits (pulumi/pulumi sdk/go/common/display StepOp).
KNOWN_OPS = set(OPERATIONS) | {"same", "read", "read-replacement", "refresh", "remove-pending-replace"}
#: Steps of one replacement (`--show-replacement-steps` shows all three; without it only ``replace``).
REPLACEMENT_OPS = {"replace", "create-replacement", "delete-replaced", "import-replacement", "discard-replaced"}
#: Replacement steps the engine does not count into changeSummary (not logical).
UNCOUNTED_OPS = REPLACEMENT_OPS - {"replace"}
