"""``$batch``: many collection reads, their first pages 20 per request.

The batch is built by hand (msgraph-core's BatchRequestContent sends absolute URLs and drops
bodies) and POSTed through the adapter, so auth, retry and the redirect policy apply to it. The
answer must hold exactly one sub-response per request sent; a throttled or failing-server part
is read again directly, after its ``Retry-After`` (capped), where the SDK's retry handler takes
over.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Sequence, Union

from ztb.graph.errors import GraphError
from ztb.graph.paging import Pager
from ztb.graph.settings import V1
from ztb.graph.transport import Query, gather, short

#: Graph's limit on the requests of one JSON batch (concepts/json-batching.md).
BATCH_MAX = 20
#: Longest wait ztb honours from a ``Retry-After`` inside a batch answer before reading directly.
RETRY_AFTER_CAP = 30.0
#: Sub-response statuses read again directly, where the SDK's retry handler takes over.
_RETRY_DIRECTLY = {429, 500, 502, 503, 504}


async def _sleep(delay: float) -> None:
    """Waits ztb itself makes (throttled batch parts); tests replace it to record the delays."""
    await asyncio.sleep(delay)


class Batcher(Pager):
    """:class:`~ztb.graph.paging.Pager` plus ``$batch`` reads of many collections."""

    async def list_many(self, reads: Sequence[Union[str, tuple[str, Query]]], version: str = V1) -> list[list[dict]]:
        """``list_all`` of each read (a path, or a path and its query), first pages 20 per ``$batch``.

        The batch is built by hand (msgraph-core's BatchRequestContent sends absolute URLs and
        drops bodies) and POSTed through the adapter, so auth, retry and the redirect policy
        apply to it. A sub-response that is throttled or a server error is read again directly
        (after its ``Retry-After``, capped), where the SDK's retry handler takes over; any other
        failed sub-response fails the whole read; ``@odata.nextLink`` s are followed directly.
        """
        pairs = [(r, None) if isinstance(r, str) else (r[0], r[1]) for r in reads]
        urls = [self.url(path, query, version) for path, query in pairs]
        prefix = f"{self.root}/{version}"
        batches = [list(range(i, min(i + BATCH_MAX, len(urls)))) for i in range(0, len(urls), BATCH_MAX)]
        results: list[list[dict]] = [[] for _ in urls]

        async def one_batch(indices: list[int]) -> None:
            deadline = self._deadline()
            body = {"requests": [{"id": str(i + 1), "method": "GET", "url": urls[i][len(prefix):]} for i in indices]}
            answer = await self.request("POST", f"{prefix}/$batch", body, deadline=deadline)
            by_id = _batch_responses(answer, {str(i + 1) for i in indices}, self.resource(f"{prefix}/$batch"))
            reads = [self._sub_response(by_id[str(i + 1)], *pairs[i], urls[i], version, deadline) for i in indices]
            for i, items in zip(indices, await gather(reads)):
                results[i] = items

        await gather([one_batch(b) for b in batches])
        return results

    async def _sub_response(self, answer: dict, path: str, query: Query, url: str, version: str, deadline: float) -> list[dict]:
        resource = self.resource(url)
        status = answer["status"]
        body = answer.get("body")
        if 200 <= status < 300:
            return await self._collect(resource, url, body, None, deadline)
        if status in _RETRY_DIRECTLY:
            delay = _retry_after(answer.get("headers"))
            remaining = deadline - asyncio.get_running_loop().time()
            if delay >= remaining:
                raise self._timeout("GET", resource)
            if delay > 0:
                await _sleep(delay)
            return await self.list_all(path, query, version, deadline=deadline)
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        inner = error.get("innerError") or error.get("innererror") or {}
        message = error.get("message") or "the answer carries no Graph error (empty or not Graph's JSON)"
        raise GraphError("GET", resource, status, str(error.get("code") or ""), str(message),
                         str(inner.get("request-id") or "") if isinstance(inner, dict) else "")


def _batch_responses(answer: Any, expected: set[str], resource: str) -> dict[str, dict]:
    """The sub-responses of a batch answer by id; exactly one for each request sent."""
    def bad(problem: str) -> GraphError:
        return GraphError("POST", resource, None, "InvalidResponse", f"the batch answer {problem}; nothing was used")

    if not isinstance(answer, dict) or not isinstance(answer.get("responses"), list):
        raise bad("has no 'responses' list")
    out: dict[str, dict] = {}
    for r in answer["responses"]:
        if not isinstance(r, dict) or not isinstance(r.get("status"), int) or isinstance(r.get("status"), bool):
            raise bad("holds a response that is not an object with a numeric status")
        rid = str(r.get("id"))
        if rid not in expected:
            raise bad(f"answers request {short(rid, 20)!r}, which was not sent")
        if rid in out:
            raise bad(f"answers request {rid} twice")
        out[rid] = r
    missing = sorted(expected - set(out), key=int)
    if missing:
        raise bad(f"lacks the responses to requests {', '.join(missing)}")
    return out


def _retry_after(headers: Any) -> float:
    """Seconds from a sub-response's Retry-After (any case), capped; 1 s when absent or unreadable."""
    if isinstance(headers, dict):
        for name, value in headers.items():
            if str(name).lower() == "retry-after":
                try:
                    seconds = float(value)
                except (TypeError, ValueError):
                    break
                if math.isfinite(seconds):
                    return min(max(seconds, 0.0), RETRY_AFTER_CAP)
                break
    return 1.0
