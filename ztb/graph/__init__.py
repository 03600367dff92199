"""Microsoft Graph access for ztb: the client lives in :mod:`ztb.graph.client`.

Only this package and :mod:`ztb.providers` import msgraph; both import it on first use, so
commands that never talk to Graph never load the SDK. Import what you need explicitly::

    from ztb.graph.client import GraphClient, BETA
    from ztb.graph.errors import GraphError

The client is built from :mod:`~ztb.graph.settings` (URL, limits, credential from the environment),
:mod:`~ztb.graph.transport` (one request), :mod:`~ztb.graph.paging` (a whole collection, bounded)
and :mod:`~ztb.graph.batch` (``$batch``); :mod:`~ztb.graph.odata` quotes ``$filter`` literals.
Beside it: :mod:`~ztb.graph.token` (tokens checked before sending, their ``tid`` claim),
:mod:`~ztb.graph.redact` (secrets out of every message, log and file), :mod:`~ztb.graph.permissions`
(the one table of read permissions, and the fix a 401 / 403 needs), :mod:`~ztb.graph._http` (the
HTTP stack: msgraph's middleware with a same-origin-only redirect policy). Only ``transport`` and
``_http`` load the SDK, and only on first use.
"""

from __future__ import annotations

from ztb.graph.errors import GraphError

__all__ = ["GraphError"]
