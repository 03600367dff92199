"""Steps of the guidance that no public API can set: accounted for as manual checks, never dropped."""

from __future__ import annotations

from ztb.model.controls import Control

MANUAL = [
    dict(
        id="PRIV-MAN-01", step=2, principle="Use least privilege access",
        title="Remove 'All users' from the Security Copilot contributor role",
        rationale="Security Copilot makes every user a Copilot contributor by default; only admin and SecOps staff should be.",
        source="SEC zero-trust-microsoft-copilot-for-security.md (step 2); Security Copilot roles have no public API",
        instructions="In Security Copilot, open Settings > Role assignment, remove 'Everyone' from Copilot contributors, "
        "and add the privileged users group instead. Re-check after every Security Copilot capacity change.",
    ),
    dict(
        id="PRIV-MAN-02", step=3, principle="Assume breach",
        title="Privileged access workstations for admin and SecOps staff",
        rationale="Specialized security expects privileged work from dedicated, hardened devices.",
        source="SEC privileged-access-devices.md; Azure/securedworkstation",
        instructions="Deploy privileged access workstations (Intune Windows security baseline, app control, no email or browsing) "
        "to every member of the privileged users group, and record the device IDs in the compliance review.",
    ),
    dict(
        id="PRIV-MAN-03", step=4, principle="Assume breach",
        title="Threat protection deployed with Defender XDR",
        rationale="Security Copilot's value and its safety depend on Defender XDR covering identities, endpoints, email and apps.",
        source="SEC zero-trust-microsoft-copilot-for-security.md (step 4)",
        instructions="Confirm Defender for Endpoint, Identity, Office 365 and Cloud Apps are onboarded and that Entra ID Protection "
        "risk feeds the risk-based policies PRIV-CA-04 and PRIV-CA-05.",
    ),
    dict(
        id="PRIV-MAN-04", step=2, principle="Use least privilege access",
        title="Fewer than five Global Administrators",
        rationale="Every Global Administrator is a tenant-wide blast radius; Microsoft recommends fewer than five.",
        source="ENTRA best-practices.md; CISA SCuBA MS.AAD.7.1v1",
        instructions="In PIM, count eligible and active Global Administrator assignments (including group-based ones); "
        "keep at least two and fewer than five, excluding the emergency-access accounts.",
    ),
]


def build() -> list[Control]:
    return [
        Control(
            id=m["id"], kind="manualCheck", title=m["title"], display_name=m["title"], step=m["step"],
            principle=m["principle"], level="specialized", rationale=m["rationale"], source=m["source"],
            desired={}, instructions=m["instructions"], managed=False,
        )
        for m in MANUAL
    ]
