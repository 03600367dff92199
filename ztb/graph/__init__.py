"""Microsoft Graph access for ztb: the client lives in :mod:`ztb.graph.client`.

Only this package and :mod:`ztb.providers` import msgraph; both import it on first use, so
commands that never talk to Graph never load the SDK. Import what you need explicitly::

    from ztb.graph.client import GraphClient, BETA
    from ztb.graph.errors import GraphError
"""

from .errors import GraphError

__all__ = ["GraphError"]
