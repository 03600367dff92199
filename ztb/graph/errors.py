"""The one exception Graph calls raise: a readable line naming what failed and why.

Kept free of msgraph/kiota imports so code that only catches or formats Graph errors (the CLI's
error handler, the providers' callers) does not pay for importing the SDK.
"""

from __future__ import annotations

from typing import Optional

from ztb.errors import ZtbError
from ztb.graph.redact import redact


def _clean(text: object) -> str:
    """One line, secrets removed before and after whitespace is folded (a run may span a break)."""
    return redact(" ".join(redact(str(text or "")).split()))


class GraphError(ZtbError):
    """A failed Graph call, as one line: ``METHOD /resource: HTTP 400 Code: message``.

    ``resource`` is the path below the API version, without the query string (queries hold
    object IDs and filters, which are noise in a message and may be long). Attributes let
    callers branch without parsing the text: ``status`` (None when no HTTP answer came),
    ``code`` (Graph's ``error.code``), ``graph_message``, ``request_id``.

    Every part goes through :func:`ztb.graph.redact.redact`: Graph (or a proxy in front of it)
    may echo the Authorization header in an error body, and that line is printed.
    """

    def __init__(
        self,
        method: str,
        resource: str,
        status: Optional[int],
        code: str = "",
        message: str = "",
        request_id: str = "",
    ) -> None:
        self.method = method.upper()
        self.resource = _clean(resource)
        self.status = status
        self.code = _clean(code)
        self.graph_message = _clean(message)  # one line, always
        self.request_id = _clean(request_id)
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.resource}"
        if self.status is None:
            head = f"{where}: {self.code}" if self.code else where
        else:
            head = f"{where}: HTTP {self.status}" + (f" {self.code}" if self.code else "")
        text = f"{head}: {self.graph_message}" if self.graph_message else head
        if self.request_id:
            text += f" [request-id {self.request_id}]"
        return text

    @property
    def not_found(self) -> bool:
        return self.status == 404


__all__ = ["GraphError"]
