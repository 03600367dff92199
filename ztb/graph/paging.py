"""Reading a whole collection: every page, within one deadline and page cap, or nothing.

A failure on any page raises and no partial list is returned, so a cut-off read can never become
a snapshot (or a "no drift"). What a page must be: a ``value`` list of objects each with an
``id``, no ``id`` twice across the pages of one read (Graph serving page 1 again in place of
page 2 would otherwise hide page 2), and an ``@odata.nextLink`` only to the Graph root in use.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ztb.graph.errors import GraphError
from ztb.graph.settings import ENV_MAX_PAGES, V1
from ztb.graph.transport import Query, Transport, short

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


class Pager(Transport):
    """:class:`~ztb.graph.transport.Transport` plus complete, bounded collection reads."""

    async def list_all(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None,
                       deadline: Optional[float] = None) -> list[dict]:
        url = self.url(path, query, version)
        deadline = deadline if deadline is not None else self._deadline()
        page = await self.request("GET", url, headers=headers, deadline=deadline)
        return await self._collect(self.resource(url), url, page, headers, deadline)

    async def _collect(self, resource: str, url: str, page: Any, headers: Optional[Mapping[str, str]], deadline: float) -> list[dict]:
        """Every item from ``page`` (already read from ``url``) on, following @odata.nextLink."""
        items: list[dict] = []
        first_seen: dict[str, int] = {}
        seen_urls = {url}
        number = 1
        while True:
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise GraphError("GET", resource, None, "InvalidResponse", f"page {number} is not a collection (no 'value' list)")
            for position, item in enumerate(page["value"], 1):
                where = f"item {position} of page {number}"
                if not isinstance(item, dict):
                    raise GraphError("GET", resource, None, "InvalidResponse", f"{where} is {_json_type(item)}, not an object; nothing was used")
                oid = item.get("id")
                if not isinstance(oid, str) or not oid.strip():
                    raise GraphError("GET", resource, None, "InvalidResponse", f"{where} has no 'id' (a string); nothing was used")
                key = oid.strip().lower()
                if key in first_seen:
                    raise GraphError("GET", resource, None, "RepeatedObject",
                                     f"object {short(oid)} comes twice (page {first_seen[key]} and page {number}): Graph repeated "
                                     "or skipped a page, or the collection changed while it was read; nothing was used; run again")
                first_seen[key] = number
                items.append(item)
            link = page.get("@odata.nextLink")
            if link is None:
                return items
            url = self._check_next_link(link, "GET", resource)
            if url in seen_urls:
                raise GraphError("GET", resource, None, "InvalidResponse", "@odata.nextLink repeats an earlier page")
            if number >= self.limits.max_pages:
                raise GraphError("GET", resource, None, "PageLimit",
                                 f"more than {self.limits.max_pages} pages ({ENV_MAX_PAGES}): an endless @odata.nextLink chain, "
                                 f"or a collection larger than expected; nothing was used; raise {ENV_MAX_PAGES} if it is real")
            seen_urls.add(url)
            number += 1
            page = await self.request("GET", url, headers=headers, deadline=deadline)
