"""What each privileged device policy asks, per platform: Graph property, value, source, what it protects.

One table per policy, read by the model (the desired JSON), the README's settings table (a test
holds the two together) and review (the words a changed setting is reported with). Values are the
Specialized ones: Microsoft's common identity-and-device-access policies for Windows, the Intune
security configuration frameworks' *high security (level 3)* for iOS/iPadOS and Android
Enterprise, and the app protection data protection framework's level 3. Where Microsoft gives no
table (macOS) the Windows recommendations are carried to the macOS settings that exist, and the
source says so.

Graph version per policy: v1.0 wherever the type *and* every setting exists there; beta for
Windows (firewall, antivirus, TPM, Defender settings are beta only), Android fully managed
(``androidDeviceOwnerCompliancePolicy`` is beta only) and app protection (``appGroupType``, which
picks the protected apps, is beta only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ztb.config import BaselineConfig
from ztb.model import stacks

V1, BETA = "v1.0", "beta"

SRC_WINDOWS = "SEC zero-trust-identity-device-access-policies-common.md (recommended Windows compliance settings); Azure/securedworkstation (Specialized profile)"
SRC_IOS = "INTUNE enrollment/ios-ipados-device-compliance-security-configurations.md (high security, level 3)"
SRC_ANDROID_WP = "INTUNE enrollment/android-work-profile-security-settings.md (work profile high security, level 3)"
SRC_ANDROID_FM = "INTUNE enrollment/android-fully-managed-security-settings.md (fully managed high security, level 3)"
SRC_MACOS = "SEC zero-trust-identity-device-access-policies-common.md (Windows recommendations carried to macOS); INTUNE protect/compliance-policy-create-mac-os.md"
SRC_MAM = "INTUNE apps/app-protection-framework.md (level 3 enterprise high data protection, with levels 1 and 2)"
SRC_SECURE_BY_DEFAULT = "INTUNE protect/device-compliance-get-started.md (compliance policy settings: mark devices with no compliance policy assigned as not compliant)"


@dataclass(frozen=True)
class Setting:
    """One Graph property a policy sets: its value (or how the config decides it) and why."""

    prop: str
    value: Any
    protects: str

    def resolve(self, cfg: BaselineConfig) -> Any:
        return self.value(cfg) if callable(self.value) else self.value


@dataclass(frozen=True)
class PolicySpec:
    """One compliance or app protection policy of the baseline."""

    id: str
    platform: str          #: the Conditional Access platform it serves (windows, macOS, iOS, android)
    title: str
    odata_type: str
    version: str
    source: str
    settings: tuple[Setting, ...]

    def body(self, cfg: BaselineConfig) -> dict[str, Any]:
        return {"@odata.type": f"#microsoft.graph.{self.odata_type}", **{s.prop: s.resolve(cfg) for s in self.settings}}


def _threat(cfg: BaselineConfig) -> str:
    return cfg.deviceCompliance.deviceThreatLevel or stacks.level(cfg.level)["deviceThreatLevel"]


def _min(platform: str) -> Callable[[BaselineConfig], str]:
    return lambda cfg: getattr(cfg.deviceCompliance.minimumVersions, platform)


S = Setting
LOCK = "an unattended, unlocked device is an open admin session"
PIN = "a guessable or short unlock code gives a thief the device and its tokens"
ENCRYPT = "a lost or stolen device's disk cannot be read"
THREAT = "a device with malware or under attack loses access until it is clean"
INTEGRITY = "a rooted, jailbroken or tampered device cannot be trusted to enforce anything else"

#: Microsoft's recommended Windows password settings; PRIV-DEV-02 carries them to macOS.
_DESKTOP_PASSWORD = (
    S("passwordRequired", True, LOCK),
    S("passwordBlockSimple", True, PIN),
    S("passwordRequiredType", "deviceDefault", PIN),
    S("passwordMinimumLength", 6, PIN),
    S("passwordMinutesOfInactivityBeforeLock", 15, LOCK),
    S("passwordExpirationDays", 41, "a leaked device password stops working"),
    S("passwordPreviousPasswordBlockCount", 5, "an old, possibly leaked password cannot come back"),
)

WINDOWS = PolicySpec("PRIV-DEV-01", "windows", "Windows compliance for privileged devices", "windows10CompliancePolicy", BETA, SRC_WINDOWS, (
    S("bitLockerEnabled", True, ENCRYPT + " (BitLocker, reported by Device Health Attestation)"),
    S("secureBootEnabled", True, "boot-level malware (bootkits) cannot load before Windows"),
    S("codeIntegrityEnabled", True, "unsigned or tampered kernel drivers and system files are detected"),
    S("tpmRequired", True, "keys and health attestation rest on a hardware root of trust"),
    S("osMinimumVersion", lambda cfg: cfg.deviceCompliance.osMinimumVersion, "unpatched Windows releases are kept out"),
    *_DESKTOP_PASSWORD,
    S("passwordRequiredToUnlockFromIdle", True, LOCK),
    S("storageRequireEncryption", True, ENCRYPT),
    S("activeFirewallRequired", True, "network attacks on listening services"),
    S("antivirusRequired", True, THREAT),
    S("antiSpywareRequired", True, THREAT),
    S("defenderEnabled", True, THREAT + " (Microsoft Defender Antimalware)"),
    S("defenderVersion", lambda cfg: cfg.deviceCompliance.defenderMinimumVersion,
      "an outdated antimalware engine (Microsoft: no more than five versions behind) misses current malware"),
    S("rtpEnabled", True, THREAT + " (real-time protection)"),
    S("signatureOutOfDate", True, THREAT + " (security intelligence up to date)"),
    S("deviceThreatProtectionEnabled", True, THREAT + " (Defender for Endpoint machine risk)"),
    S("deviceThreatProtectionRequiredSecurityLevel", _threat, THREAT + " (Defender for Endpoint machine risk)"),
))

MACOS = PolicySpec("PRIV-DEV-02", "macOS", "macOS compliance for privileged devices", "macOSCompliancePolicy", V1, SRC_MACOS, (
    S("osMinimumVersion", _min("macOS"), "unpatched macOS releases are kept out"),
    S("systemIntegrityProtectionEnabled", True, INTEGRITY + " (System Integrity Protection)"),
    *_DESKTOP_PASSWORD,
    S("storageRequireEncryption", True, ENCRYPT + " (FileVault)"),
    S("firewallEnabled", True, "network attacks on listening services"),
))

IOS = PolicySpec("PRIV-DEV-03", "iOS", "iOS/iPadOS compliance for privileged devices", "iosCompliancePolicy", V1, SRC_IOS, (
    S("securityBlockJailbrokenDevices", True, INTEGRITY),
    S("osMinimumVersion", _min("iOS"), "unpatched iOS releases are kept out"),
    S("passcodeRequired", True, LOCK),
    S("passcodeBlockSimple", True, PIN),
    S("passcodeMinimumLength", 6, PIN),
    S("passcodeRequiredType", "numeric", PIN),
    S("passcodeMinutesOfInactivityBeforeLock", 5, LOCK),
    S("passcodeExpirationDays", 365, "a leaked passcode stops working"),
    S("deviceThreatProtectionEnabled", True, THREAT + " (mobile threat defense or Defender for Endpoint)"),
    S("deviceThreatProtectionRequiredSecurityLevel", "secured", THREAT),
))

_ANDROID_COMMON = (
    S("securityRequireSafetyNetAttestationBasicIntegrity", True, INTEGRITY + " (Play Integrity basic integrity)"),
    S("securityRequireSafetyNetAttestationCertifiedDevice", True, INTEGRITY + " (Play Integrity device integrity)"),
    S("osMinimumVersion", _min("android"), "unpatched Android releases are kept out"),
    S("passwordRequired", True, LOCK),
    S("passwordRequiredType", "numericComplex", PIN),
    S("passwordMinimumLength", 6, PIN),
    S("passwordMinutesOfInactivityBeforeLock", 5, LOCK),
    S("passwordExpirationDays", 365, "a leaked password stops working"),
    S("storageRequireEncryption", True, ENCRYPT),
    S("deviceThreatProtectionEnabled", True, THREAT + " (mobile threat defense or Defender for Endpoint)"),
    S("deviceThreatProtectionRequiredSecurityLevel", "secured", THREAT),
)

ANDROID_WORK_PROFILE = PolicySpec(
    "PRIV-DEV-04", "android", "Android Enterprise work profile compliance for privileged devices",
    "androidWorkProfileCompliancePolicy", V1, SRC_ANDROID_WP, _ANDROID_COMMON + (
        S("securityBlockJailbrokenDevices", True, INTEGRITY),
        S("securityRequireGooglePlayServices", True, INTEGRITY + " (Google Play Services configured)"),
        S("securityRequireUpToDateSecurityProviders", True, "an outdated security provider leaves TLS and crypto flaws open"),
        S("securityPreventInstallAppsFromUnknownSources", True, "sideloaded apps bypass Play Protect"),
        S("securityRequireCompanyPortalAppIntegrity", True, "a tampered Company Portal cannot report compliance"),
        S("securityDisableUsbDebugging", True, "USB debugging opens the work profile to a connected computer"),
        S("passwordPreviousPasswordBlockCount", 5, "an old, possibly leaked password cannot come back"),
    ),
)

ANDROID_FULLY_MANAGED = PolicySpec(
    "PRIV-DEV-05", "android", "Android Enterprise fully managed compliance for privileged devices",
    "androidDeviceOwnerCompliancePolicy", BETA, SRC_ANDROID_FM, _ANDROID_COMMON + (
        S("securityRequireIntuneAppIntegrity", True, "a tampered Intune app cannot report compliance"),
        S("passwordPreviousPasswordCountToBlock", 5, "an old, possibly leaked password cannot come back"),
        S("advancedThreatProtectionRequiredSecurityLevel", "secured", THREAT + " (Defender for Endpoint machine risk: clear)"),
    ),
)

#: Every compliance policy, in control-ID order; a platform is allowed only if it has one here.
COMPLIANCE_POLICIES = (WINDOWS, MACOS, IOS, ANDROID_WORK_PROFILE, ANDROID_FULLY_MANAGED)
#: Platforms ztb has a compliance policy for (Conditional Access names).
SUPPORTED_PLATFORMS = tuple(dict.fromkeys(p.platform for p in COMPLIANCE_POLICIES))

_MAM_COMMON = (
    S("appGroupType", "allMicrosoftApps", "the policy protects Microsoft's apps (Outlook, Teams, Edge, the admin apps)"),
    S("dataBackupBlocked", True, "org data does not leave the device in a personal backup"),
    S("allowedOutboundDataTransferDestinations", "managedApps", "org data is sent only to policy-managed apps"),
    S("allowedInboundDataTransferSources", "managedApps", "only policy-managed apps feed data into org apps"),
    S("allowedOutboundClipboardSharingLevel", "managedAppsWithPasteIn", "copied org data is pasted only into managed apps"),
    S("saveAsBlocked", True, "org files are not saved to personal storage"),
    S("printBlocked", True, "org data is not printed from the phone"),
    S("managedBrowserToOpenLinksRequired", True, "links open in a protected browser"),
    S("managedBrowser", "microsoftEdge", "links open in a protected browser"),
    S("pinRequired", True, "a second lock on org apps when the phone is unlocked"),
    S("simplePinBlocked", True, PIN),
    S("minimumPinLength", 6, PIN),
    S("pinCharacterSet", "numeric", PIN),
    S("maximumPinRetries", 5, "guessing the app PIN resets access"),
    S("periodBeforePinReset", "P365D", "a leaked app PIN stops working"),
    S("periodOfflineBeforeAccessCheck", "PT720M", "a device off the network is rechecked within 12 hours"),
    S("periodOfflineBeforeWipeIsEnforced", "P90D", "org data on a device offline for 90 days is wiped"),
    S("maximumAllowedDeviceThreatLevel", "secured", THREAT),
    S("mobileThreatDefenseRemediationAction", "block", THREAT),
)

MAM_IOS = PolicySpec("PRIV-MAM-01", "iOS", "iOS/iPadOS app protection (Level 3) for privileged users", "iosManagedAppProtection",
                     BETA, SRC_MAM, _MAM_COMMON + (
                         S("appDataEncryptionType", "whenDeviceLocked", ENCRYPT + " (org data in apps)"),
                         S("thirdPartyKeyboardsBlocked", True, "a third-party keyboard cannot log what admins type"),
                     ))
MAM_ANDROID = PolicySpec("PRIV-MAM-02", "android", "Android app protection (Level 3) for privileged users", "androidManagedAppProtection",
                         BETA, SRC_MAM, _MAM_COMMON + (
                             S("encryptAppData", True, ENCRYPT + " (org data in apps)"),
                             S("screenCaptureBlocked", True, "org data does not leak through screenshots or assistants"),
                             S("appActionIfDevicePasscodeComplexityLessThanHigh", "block", PIN + " (device lock complexity high)"),
                             S("requirePinAfterBiometricChange", True, "a newly enrolled fingerprint cannot open org apps"),
                         ))
APP_PROTECTION_POLICIES = (MAM_IOS, MAM_ANDROID)
