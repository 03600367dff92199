"""The ztb policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stack>.json`.

The rules live in ztb_policies.py (importable and tested without the Pulumi CLI); this file only
serves them to the engine.
"""

from pulumi_policy import PolicyPack

from ztb_policies import POLICIES

PolicyPack(name="ztb-privileged-baseline", policies=POLICIES)
