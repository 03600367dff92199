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


def verify_answering_tenant(client: Any, b: Baseline, tenant: str, what: str) -> str:
    """Check that ``client`` (after its reads) answered for ``tenant``; ExportError in one line otherwise.

    A live read that accompanies a snapshot (the role schedules of ``drift --standing-access``, the
    directory-audit events of ``drift --audit``) is another tenant's data if the identity signs in
    elsewhere: its findings or "nobody changed anything" would be stamped on the snapshot's tenant.
    The sources are those :func:`~ztb.tenant.export.verify_tenant` weighs for ``ztb export`` (the
    tokens' ``tid`` claims and ``/organization``), so both paths refuse the same tenants. Call it
    after the client's reads, when its tokens carry their claims. GraphError passes through.
    """
    from ztb.tenant.export import ExportError, _organization, verify_tenant

    organization, note = client.run(_organization)
    try:
        answered = verify_tenant(b, client.token_tenants(), [], organization, note)
    except ExportError as e:
        raise ExportError(f"{what} cannot be vouched for: {e}") from None
    if answered != tenant.strip().lower():
        raise ExportError(f"{what} were read from tenant {answered} but the snapshot is of tenant {tenant or 'none'}, so they cannot "
                          "be vouched for; sign in to the snapshot's tenant (Organization.Read.All lets ztb check it without a tid claim)")
    return answered
