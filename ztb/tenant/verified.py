"""The live tenant as a verified snapshot, or one redacted line saying why not.

What `ztb export` writes and what `ztb drift` without ``--snapshot`` compares are the same read:
:func:`~ztb.tenant.export.export_snapshot` (the tenant verified against the token, the PIM policy
IDs and ``/organization``) followed by the snapshot format's own checks, so the live path can
never accept a tenant the file path would refuse. Every failure becomes an
:class:`~ztb.tenant.export.ExportError` (a :class:`~ztb.errors.ZtbError`) whose one line has every
secret the process has seen removed; a 401 / 403 names the permission or sign-in that fixes it.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from ztb.model.baseline import Baseline


def read_verified_snapshot(baseline: Baseline, graph_url: Optional[str] = None) -> dict[str, Any]:
    """Export the tenant into memory and validate it; ExportError (one redacted line) on any failure.

    What was skipped (a collection the stack does not read) is in the snapshot's ``skipped``.
    """
    from ztb.graph.errors import GraphError
    from ztb.graph.permissions import fix_for
    from ztb.graph.redact import redact, redacted_logs
    from ztb.tenant.export import ExportError, export_snapshot
    from ztb.tenant.snapshot import validate

    # DefaultAzureCredential logs every credential it tried, once per concurrent request, as
    # warnings; the failure reaches the user as the one error line below instead.
    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    with redacted_logs():
        try:
            return validate(export_snapshot(baseline, graph_url=graph_url), "read from the tenant")
        except GraphError as e:
            fix = fix_for(e)
            message = f"reading the tenant failed, nothing was compared or written: {e}" + (f"; {fix}" if fix else "")
        except ValueError as e:  # a snapshot check, a malformed --graph-url, ZTB_ACCESS_TOKEN or ZTB_GRAPH_* limit
            message = str(e)
        except ExportError as e:
            message = str(e)
    raise ExportError(redact(message)) from None
