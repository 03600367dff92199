"""Values Pulumi writes in place of one it cannot show, spelled once for every reader.

The review reads them in a preview document and the dynamic providers meet them in their inputs;
both import them from here, a module with no dependencies, so reading a preview never loads
pulumi and the two can never disagree on the spelling.
"""

from __future__ import annotations

#: Pulumi's placeholder for a value not known until apply (pulumi.runtime.rpc.UNKNOWN): the one
#: string `pulumi preview --json` writes for every such value, and what a provider receives.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#: What `pulumi preview --json` writes for a secret value.
SECRET = "[secret]"
