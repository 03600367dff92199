"""The shapes of the Graph fields the readiness checks and standing access read, checked where the reader hands items over.

The paging layer already refuses an item that is not an object or has no ``id``; the fields
inside are read by pure checks that assume Graph's documented types (``signIn``,
``userRegistrationDetails``, ``managedDevice``, the role schedule instances and requests). A
field of another type (``appliedConditionalAccessPolicies: ["x"]``, ``methodsRegistered: 5``)
would surface as an AttributeError traceback, or worse, be read as "nothing there"; here it is
an ``InvalidResponse`` :class:`~ztb.graph.errors.GraphError` naming the item and field, which
callers already turn into one line and exit 1. ``null`` or an absent field is what Graph sends
for "not set", and stays allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Union

from ztb.graph.errors import GraphError
from ztb.graph.paging import _json_type


@dataclass(frozen=True)
class Objects:
    """A list of objects, each field of which has its own shape."""

    fields: Mapping[str, "Shape"] = field(default_factory=dict)


#: ``str`` / ``bool``: that JSON type (or null); ``[str]``: a list of strings (or null); Objects: a list of objects.
Shape = Union[type, list, Objects]
_NAMES = {str: "text", bool: "true or false"}


def _wrong(value: Any, shape: Shape, where: str) -> str:
    """Why ``value`` does not have ``shape`` ("" when it does); ``where`` is the field's path."""
    if value is None:
        return ""
    if isinstance(shape, type):
        return "" if type(value) is shape else f"{where} is {_json_type(value)}, not {_NAMES.get(shape, shape.__name__)}"
    if not isinstance(value, list):
        return f"{where} is {_json_type(value)}, not a list"
    for n, item in enumerate(value):
        if isinstance(shape, Objects):
            if not isinstance(item, dict):
                return f"{where}[{n}] is {_json_type(item)}, not an object"
            why = next((w for k, s in shape.fields.items() if (w := _wrong(item.get(k), s, f"{where}[{n}].{k}"))), "")
        else:  # an element of a list of strings is a string: null there is not "not set"
            why = _wrong(item, shape[0], f"{where}[{n}]") if item is not None else f"{where}[{n}] is null, not text"
        if why:
            return why
    return ""


def checked(items: Iterable[dict[str, Any]], resource: str, what: str, fields: Mapping[str, Shape]) -> list[dict[str, Any]]:
    """``items`` unchanged when every field read has its documented shape; GraphError (InvalidResponse) otherwise."""
    items = list(items)
    for x in items:
        for key, shape in fields.items():
            why = _wrong(x.get(key), shape, key)
            if why:
                raise GraphError("GET", resource, None, "InvalidResponse",
                                 f"{what} {str(x.get('id'))[:40]!r}: {why}; nothing was used")
    return items


#: What the readiness checks read of each item (ztb.readiness.checks, ztb.readiness.breakglass).
SIGN_IN = {"userId": str, "createdDateTime": str, "riskLevelDuringSignIn": str,
           "appliedConditionalAccessPolicies": Objects({"id": str, "displayName": str, "result": str})}
REGISTRATION = {"methodsRegistered": [str], "isMfaRegistered": bool}
DEVICE = {"userId": str, "deviceName": str, "operatingSystem": str, "complianceState": str}
#: What ztb.tenant.role_access reads of the schedule instances and activation requests.
SCHEDULE_INSTANCE = {"principalId": str, "roleDefinitionId": str, "directoryScopeId": str, "assignmentType": str,
                     "memberType": str, "startDateTime": str, "endDateTime": str}
ACTIVATION_REQUEST = {"principalId": str, "roleDefinitionId": str, "createdDateTime": str}
