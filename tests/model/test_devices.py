"""Devices in the baseline model: one compliance policy per allowed platform, PRIV-CA-07 from the same
setting, assignments that follow PRIV-CA-03's groups, app protection, secureByDefault, the config keys'
bad input, and the Graph-model check of every object against Microsoft's generated models."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK, one_error_line, stack_values
from ztb.cli import cli
from ztb.config import split_namespace, validate
from ztb.model import device_settings as ds
from ztb.model.baseline import build
from ztb.model.controls import Kind

DOC = yaml.safe_load(SAMPLE_STACK.read_text(encoding="utf-8"))
DEVICE_KINDS = (Kind.DEVICE_COMPLIANCE_POLICY, Kind.APP_PROTECTION_POLICY)


def baseline(**overrides):
    values = split_namespace(stack_values(), "test")
    values.update(overrides)
    return build(validate(values))


def device_policies(b) -> dict[str, dict]:
    return {c.id: c.desired for c in b.controls if c.kind in DEVICE_KINDS}


def stack(tmp_path: Path, **config) -> Path:
    doc = copy.deepcopy(DOC)
    doc["config"].update({f"ztb:{k}": v for k, v in config.items()})
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def plan(path: Path):
    return CliRunner().invoke(cli, ["plan", "--config", str(path), "--format", "json"], catch_exceptions=False)


# --------------------------------------------------------------------------- platforms: CA-07 and the policies together


@pytest.mark.parametrize("platforms,policies", [
    (["windows", "macOS", "iOS", "android"], ["PRIV-DEV-01", "PRIV-DEV-02", "PRIV-DEV-03", "PRIV-DEV-04", "PRIV-DEV-05"]),
    (["windows"], ["PRIV-DEV-01"]),
    (["windows", "macOS"], ["PRIV-DEV-01", "PRIV-DEV-02"]),
    (["iOS"], ["PRIV-DEV-03"]),
    (["android", "windows"], ["PRIV-DEV-01", "PRIV-DEV-04", "PRIV-DEV-05"]),
])
def test_devicePlatforms_sets_what_PRIV_CA_07_lets_through_and_the_policies_together(platforms, policies):
    b = baseline(devicePlatforms=platforms)
    block = b.by_id()["PRIV-CA-07"].desired["conditions"]["platforms"]
    assert block == {"includePlatforms": ["all"], "excludePlatforms": platforms}
    assert [c.id for c in b.of_kind(Kind.DEVICE_COMPLIANCE_POLICY)] == policies
    assert set(b.allowed_platforms) == set(platforms)
    # Each allowed platform has a policy that judges it; no policy judges a platform that is blocked.
    assert {s.platform for s in ds.COMPLIANCE_POLICIES if s.id in policies} == set(platforms)
    phones = [p for p in ("iOS", "android") if p in platforms]
    assert [c.desired["@odata.type"] for c in b.of_kind(Kind.APP_PROTECTION_POLICY)] == [
        {"iOS": "#microsoft.graph.iosManagedAppProtection", "android": "#microsoft.graph.androidManagedAppProtection"}[p] for p in phones]
    ca12 = b.by_id().get("PRIV-CA-12")
    assert (ca12 is not None) == bool(phones)
    if ca12:
        assert ca12.desired["conditions"]["platforms"]["includePlatforms"] == phones


def test_the_plan_of_the_sample_stack_lists_one_policy_per_platform_with_its_graph_version():
    result = CliRunner().invoke(cli, ["plan", "--config", str(SAMPLE_STACK)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith(("PRIV-DEV", "PRIV-MAM"))}
    assert "managed (beta)" in rows["PRIV-DEV-01"] and "managed (v1.0)" in rows["PRIV-DEV-02"]
    assert "managed (v1.0)" in rows["PRIV-DEV-03"] and "managed (v1.0)" in rows["PRIV-DEV-04"]
    assert "managed (beta)" in rows["PRIV-DEV-05"] and "managed (beta)" in rows["PRIV-MAM-01"]
    assert "checked" in rows["PRIV-DEV-20"]


def test_linux_is_refused_in_one_line_naming_the_fix(tmp_path):
    line = one_error_line(plan(stack(tmp_path, devicePlatforms=["windows", "linux"])))
    assert "ztb:devicePlatforms' allows linux, but ztb has no compliance policy for linux" in line
    assert "remove linux from ztb:devicePlatforms" in line


@pytest.mark.parametrize("value,words", [
    ([], "is empty"),
    (["windows", "windows"], "lists windows twice"),
    (["Windows"], "should be 'windows', 'macOS', 'iOS', 'android'"),
    (["windowsPhone"], "should be 'windows', 'macOS', 'iOS', 'android'"),
    (["all"], "should be 'windows', 'macOS', 'iOS', 'android'"),
    ("windows", "devicePlatforms"),
    ([1], "devicePlatforms"),
    ({"windows": True}, "devicePlatforms"),
    ([None], "devicePlatforms"),
])
def test_bad_devicePlatforms_are_refused_in_one_line(tmp_path, value, words):
    line = one_error_line(plan(stack(tmp_path, devicePlatforms=value)))
    assert "devicePlatforms" in line and words in line


@pytest.mark.parametrize("key,value", [
    ("deviceCompliance", {"secureByDefault": "yes"}),
    ("deviceCompliance", {"secureByDefault": 1}),
    ("deviceCompliance", {"defenderMinimumVersion": "latest"}),
    ("deviceCompliance", {"defenderMinimumVersion": 4.18}),
    ("deviceCompliance", {"minimumVersions": {"iOS": "seventeen"}}),
    ("deviceCompliance", {"minimumVersions": {"iOS": "17.0.0.0.1"}}),
    ("deviceCompliance", {"minimumVersions": {"linux": "1.0"}}),
    ("deviceCompliance", {"minimumVersions": ["17.0"]}),
    ("appProtection", {"enabled": "on"}),
    ("appProtection", {"conditionalAccess": "everything"}),
    ("appProtection", {"conditionalAccess": None}),
    ("appProtection", {"level": 3}),
    ("appProtection", "true"),
])
def test_bad_values_of_the_new_device_keys_are_refused_in_one_line(tmp_path, key, value):
    if key == "deviceCompliance":
        value = {**DOC["config"]["ztb:deviceCompliance"], **value} if isinstance(value, dict) else value
    line = one_error_line(plan(stack(tmp_path, **{key: value})))
    assert key in line


def test_a_duplicate_key_in_appProtection_is_refused(tmp_path):
    path = stack(tmp_path)
    path.write_text(path.read_text() + "  ztb:appProtection: {enabled: true, enabled: false}\n")
    assert "holds the key" in one_error_line(plan(path))


# --------------------------------------------------------------------------- assignment follows the phase


@pytest.mark.parametrize("phase,groups", [
    ("evaluate", ["ringEvaluate"]),
    ("pilot", ["ringEvaluate", "ringPilot"]),
    ("full", ["privilegedUsers", "ringEvaluate", "ringPilot", "ringFull"]),
])
def test_every_device_policy_is_assigned_to_exactly_the_groups_PRIV_CA_03_includes(phase, groups):
    b = baseline(phase=phase, reportOnly=True)
    included = b.by_id()["PRIV-CA-03"].desired["conditions"]["users"]["includeGroups"]
    assert included == ["${group:%s}" % g for g in groups]
    for cid, desired in device_policies(b).items():
        assert [a["target"]["groupId"] for a in desired["assignments"]] == included, cid
        assert {a["target"]["@odata.type"] for a in desired["assignments"]} == {"#microsoft.graph.groupAssignmentTarget"}


def test_existing_policies_by_id_follow_the_phase_too():
    b = baseline(phase="pilot", reportOnly=True, deviceCompliance={"assignExistingPolicyIds": ["e0e0e0e0-0000-4000-8000-000000000001"]})
    existing = b.by_id()["PRIV-DEV-11"]
    assert [a["target"]["groupId"] for a in existing.desired["assignments"]] == ["${group:ringEvaluate}", "${group:ringPilot}"]


# --------------------------------------------------------------------------- secureByDefault and app protection choices


@pytest.mark.parametrize("opted_in", [False, True])
def test_secure_by_default_is_always_checked_and_written_only_when_opted_in(opted_in):
    b = baseline(deviceCompliance={"secureByDefault": opted_in})
    control = b.by_id()["PRIV-DEV-20"]
    assert control.kind == Kind.DEVICE_MANAGEMENT_SETTINGS and control.desired == {"secureByDefault": True}
    assert control.managed is opted_in


@pytest.mark.parametrize("choice,apps", [("adminPortals", ["MicrosoftAdminPortals"]), ("allApps", ["All"]), ("off", None)])
def test_the_protected_apps_grant_covers_what_the_stack_chooses(choice, apps):
    b = baseline(appProtection={"conditionalAccess": choice})
    ca12 = b.by_id().get("PRIV-CA-12")
    assert [c.id for c in b.of_kind(Kind.APP_PROTECTION_POLICY)] == ["PRIV-MAM-01", "PRIV-MAM-02"]  # protection stays either way
    if apps is None:
        assert ca12 is None
        return
    assert ca12.desired["conditions"]["applications"]["includeApplications"] == apps
    assert ca12.desired["grantControls"]["builtInControls"] == ["compliantApplication"]
    assert "${group:emergencyAccess}" in ca12.desired["conditions"]["users"]["excludeGroups"]


def test_no_app_protection_means_no_protected_apps_grant():
    b = baseline(appProtection={"enabled": False})
    assert not b.of_kind(Kind.APP_PROTECTION_POLICY) and "PRIV-CA-12" not in b.by_id()


def test_every_setting_has_a_source_and_says_what_it_protects():
    for spec in ds.COMPLIANCE_POLICIES + ds.APP_PROTECTION_POLICIES:
        assert spec.source and spec.version in ("v1.0", "beta")
        props = [s.prop for s in spec.settings]
        assert len(props) == len(set(props)), spec.id
        assert all(s.protects for s in spec.settings), spec.id


def test_the_windows_policy_has_the_settings_microsoft_recommends_that_it_lacked():
    d = baseline().by_id()["PRIV-DEV-01"].desired
    assert (d["passwordRequired"], d["passwordMinimumLength"], d["passwordMinutesOfInactivityBeforeLock"]) == (True, 6, 15)
    assert d["storageRequireEncryption"] is True and d["defenderVersion"] == "4.18.2401.0"
    assert d["displayName"] == "ZTB PRIV-DEV-01 Privileged Windows devices"  # drift and the provider match it by name


# --------------------------------------------------------------------------- the Graph-model check


def _parse(model, body):
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    import json

    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(body).encode())
    return node.get_object_value(model)


def _unset(obj, body) -> list[str]:
    """Properties of ``body`` the model did not take (unknown) or read as None (an unknown enum member)."""
    from kiota_abstractions.serialization import Parsable

    out = sorted(k for k in (getattr(obj, "additional_data", None) or {}) if not k.startswith("@odata"))
    fields = obj.get_field_deserializers()
    for key, value in body.items():
        if key.startswith("@odata") or key not in fields or value is None:
            continue
        attr = next((a for a in vars(obj) if a.lstrip("_").replace("_", "").lower() == key.lower()), None)
        got = getattr(obj, attr, None) if attr else None
        if got is None:
            out.append(key)
        elif isinstance(got, Parsable) and isinstance(value, dict):
            out += [f"{key}.{k}" for k in _unset(got, value)]
    return out


def _model(version: str, odata_type: str):
    import importlib
    import re

    root = "msgraph" if version == "v1.0" else "msgraph_beta"
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", odata_type.split(".")[-1]).lower().replace("mac_o_s", "mac_o_s")
    module = importlib.import_module(f"{root}.generated.models.{name}")
    return next(v for k, v in vars(module).items() if k.lower() == odata_type.split(".")[-1].lower())


@pytest.mark.parametrize("cid", ["PRIV-DEV-01", "PRIV-DEV-02", "PRIV-DEV-03", "PRIV-DEV-04", "PRIV-DEV-05", "PRIV-MAM-01", "PRIV-MAM-02"])
def test_every_device_object_parses_into_microsoft_s_model_of_its_graph_version(cid):
    b = baseline()
    control = b.by_id()[cid]
    body = {k: v for k, v in control.desired.items() if k not in ("assignments", "scheduledActionsForRule")}
    if control.meta.graph_version == "beta":
        pytest.importorskip("msgraph_beta")
    model = _model(control.meta.graph_version, body["@odata.type"])
    obj = _parse(model, body)
    assert type(obj).__name__.lower() == body["@odata.type"].split(".")[-1].lower()
    assert _unset(obj, body) == [], f"{cid}: not in the {control.meta.graph_version} model"


@pytest.mark.parametrize("cid", ["PRIV-DEV-01", "PRIV-DEV-05", "PRIV-MAM-01"])
def test_the_beta_objects_are_beta_because_v1_0_lacks_them(cid):
    control = baseline().by_id()[cid]
    body = {k: v for k, v in control.desired.items() if k not in ("assignments", "scheduledActionsForRule")}
    try:
        model = _model("v1.0", body["@odata.type"])
    except (ModuleNotFoundError, StopIteration):
        return  # the type itself is beta only (androidDeviceOwnerCompliancePolicy)
    assert _unset(_parse(model, body), body) != []


def test_the_v1_objects_need_no_beta():
    for spec in ds.COMPLIANCE_POLICIES:
        if spec.version == "v1.0":
            body = spec.body(build(validate(split_namespace(stack_values(), "test"))).config)
            assert _unset(_parse(_model("v1.0", body["@odata.type"]), body), body) == [], spec.id


def test_the_settings_and_the_protected_apps_policy_parse_into_v1_models():
    from msgraph.generated.models.conditional_access_policy import ConditionalAccessPolicy
    from msgraph.generated.models.device_management_settings import DeviceManagementSettings
    from ztb.model.controls import resolve_refs

    b = baseline()
    settings = b.by_id()["PRIV-DEV-20"].desired
    assert _unset(_parse(DeviceManagementSettings, settings), settings) == []
    ids = {k: "00000000-0000-4000-8000-0000000000%02d" % i for i, k in enumerate(
        ("privilegedUsers", "emergencyAccess", "ringEvaluate", "ringPilot", "ringFull"))}
    ca12 = resolve_refs(b.by_id()["PRIV-CA-12"].desired, ids)
    obj = _parse(ConditionalAccessPolicy, ca12)
    assert [str(p.value) for p in obj.conditions.platforms.include_platforms] == ["iOS", "android"]
    assert [c.value for c in obj.grant_controls.built_in_controls] == ["compliantApplication"]


def test_the_readme_settings_tables_are_the_model_s():
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    cfg = baseline().config
    for spec in ds.COMPLIANCE_POLICIES + ds.APP_PROTECTION_POLICIES:
        assert f"**{spec.id} {spec.title}** (`{spec.odata_type}`, Graph {spec.version}). Source: {spec.source}." in readme
        for st in spec.settings:
            v = st.resolve(cfg)
            val = str(v).lower() if isinstance(v, bool) else str(v)
            assert f"| `{st.prop}` | `{val}`{' (config)' if callable(st.value) else ''} | {st.protects} |" in readme, (spec.id, st.prop)
