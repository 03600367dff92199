"""Stack configuration: read once, validated completely, before anything is declared or printed.

Both the Pulumi program (``pulumi.Config``) and the offline commands (the ``Pulumi.<stack>.yaml``
file) end in :func:`validate`, so a stack that ``ztb plan`` accepts is the stack ``pulumi up``
deploys. Every problem is reported as one line that names the key and the fix; all problems are
collected before failing so an engineer fixes a config in one round trip.

The package: :mod:`~ztb.config.schema` (the keys), :mod:`~ztb.config.types` (their value types and
validators), :mod:`~ztb.config.load` (reading what Pulumi hands over), :mod:`~ztb.config.validation`
(one path for both), :mod:`~ztb.config.problems` (how a problem is told, and the limits).
"""

from __future__ import annotations

from ztb.config.load import load_stack_baseline, load_stack_file, load_yaml, split_namespace
from ztb.config.problems import (
    ECHO_CHARS, MAX_CONFIG_BYTES, MAX_DEPTH, MAX_PROBLEMS, NAMESPACE, ConfigError, echo, one_line,
)
from ztb.config.schema import (
    CLOUD_APP_SECURITY_TYPES, EMAIL_RE, SECURITY_COPILOT_APP_ID, SECURITY_COPILOT_APPS, USER_RISK_REMEDIATIONS, AccessReviews,
    AcceptedPolicy, BaselineConfig, DeviceCompliance, GalleryApp, Pim, RingGroupIds, RoleScope, SecurityApp,
)
from ztb.config.types import ConfigBool, ConfigInt, parse_duration
from ztb.config.validation import validate, validated

__all__ = [
    "CLOUD_APP_SECURITY_TYPES", "ECHO_CHARS", "EMAIL_RE", "SECURITY_COPILOT_APPS", "USER_RISK_REMEDIATIONS", "GalleryApp", "MAX_CONFIG_BYTES", "MAX_DEPTH", "MAX_PROBLEMS", "NAMESPACE", "SECURITY_COPILOT_APP_ID",
    "AccessReviews", "AcceptedPolicy", "BaselineConfig", "ConfigBool", "ConfigError", "ConfigInt", "DeviceCompliance", "Pim",
    "RingGroupIds", "RoleScope", "SecurityApp", "echo", "load_stack_baseline", "load_stack_file", "load_yaml", "one_line", "parse_duration",
    "split_namespace", "validate", "validated",
]
