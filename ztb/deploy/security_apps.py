"""SecurityApps: third-party security products instantiated from the Entra application gallery.

Step 5 of the guidance puts the security products Security Copilot reaches (Tanium SSO is its
example) behind PRIV-CA-08. A product given by gallery template (``ztb:galleryApps``) is
instantiated with pulumi-azuread's ``ApplicationFromTemplate``. That resource's ``application_id``
is the *resource* ID ``/applications/<objectId>`` (terraform-provider-azuread
application_from_template_resource.go), not the client ID a Conditional Access policy targets, so
the component reads the client ID back with ``get_application`` on ``application_object_id``.
On the first preview the application does not exist yet: its client ID, and with it PRIV-CA-08's
application list, is unknown until `pulumi up`.

``template_id`` is ForceNew: changing a gallery app's template replaces (deletes and recreates)
the application and its service principal, and with them any SSO configuration made on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_azuread as azuread

from ztb.model.baseline import Baseline


@dataclass(frozen=True)
class SecurityAppsArgs:
    #: (display name, gallery template ID) per app, as ``ztb:galleryApps`` lists them.
    apps: Sequence[tuple[str, str]]

    @classmethod
    def of(cls, baseline: Baseline) -> SecurityAppsArgs:
        return cls(apps=tuple((a.name, a.templateId) for a in baseline.config.galleryApps))


class SecurityApps(pulumi.ComponentResource):
    """One ``ApplicationFromTemplate`` per gallery app; ``client_ids`` maps template ID -> client ID."""

    client_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: SecurityAppsArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:SecurityApps", name, {}, opts)
        self.client_ids = {}
        for display_name, template_id in args.apps:
            app = azuread.ApplicationFromTemplate(
                f"{name}-{template_id[:8]}", display_name=display_name, template_id=template_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            found = azuread.get_application_output(object_id=app.application_object_id, opts=pulumi.InvokeOptions(parent=self))
            self.client_ids[template_id] = found.client_id
        self.register_outputs({"clientIds": self.client_ids})
