"""PIM's configurable alerts kept enabled (PRIV-ALERT-*): model, drift on the documented payload, and the provider in the host."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import GRAPH_SAMPLES, BaselineMocks
from tests.doubles import governance
from tests.doubles.graph import graph, graph_server  # noqa: F401 (fixtures)
from tests.drift.test_detect import ideal
from tests.model.test_model import RAW, SAMPLE, values
from tests.doubles.host import NONE, SOME, check, create, delete, diff, edited, engine, host, one, read, update  # noqa: F401
from tests.providers.test_access_reviews import registered
from ztb.config import validate
from ztb.drift.detect import detect
from ztb.model.baseline import build
from ztb.model.pim_alerts import ALERTS
from ztb.providers.pim_alerts import RoleManagementAlertProvider
from ztb.tenant.snapshot import validate as valid_snapshot

ALERT = "pulumi-python:dynamic/ztb:RoleManagementAlert"
DOCUMENTED = json.loads((GRAPH_SAMPLES / "pim-alert-list-alertconfigurations.response.json").read_text())["value"][0]


def test_every_configurable_alert_is_declared_enabled_and_none_when_switched_off():
    found = {c.id: c for c in SAMPLE.of_kind("roleManagementAlertConfiguration")}
    assert set(found) == set(ALERTS)
    assert all(c.desired["isEnabled"] is True and c.desired["scopeId"] == "/" for c in found.values())
    assert found["PRIV-ALERT-GA"].desired["@odata.type"] == DOCUMENTED["@odata.type"]
    assert build(validate(values(pim={**RAW["pim"], "alerts": False}))).of_kind("roleManagementAlertConfiguration") == []


def with_documented(enabled: bool) -> dict:
    snap = ideal()
    snap["roleManagementAlertConfigurations"] = [c for c in snap["roleManagementAlertConfigurations"] if not c["id"].endswith("TooManyGlobalAdminsAssignedToTenantAlert")]
    snap["roleManagementAlertConfigurations"].append(dict(copy.deepcopy(DOCUMENTED), isEnabled=enabled))
    return valid_snapshot(snap)


def test_drift_reads_the_documented_configuration_and_reports_it_switched_off():
    assert detect(SAMPLE, with_documented(True)).in_sync  # another tenant's thresholds are not the stack's
    (f,) = detect(SAMPLE, with_documented(False)).findings
    assert (f.control_id, f.status, f.impact) == ("PRIV-ALERT-GA", "notEnforced", "weakens")
    snap = ideal()
    snap["roleManagementAlertConfigurations"] = []
    assert {f.status for f in detect(SAMPLE, valid_snapshot(snap)).findings} == {"missing"}


@pytest.fixture(scope="module")
def deployed():
    from tests.providers import test_access_reviews as t

    saved = t.MINE
    t.MINE = {ALERT: RoleManagementAlertProvider}
    try:
        return registered(BaselineMocks(), preview=False)
    finally:
        t.MINE = saved


def test_an_alert_through_the_host(host, graph, deployed):
    tenant = governance.serve(graph)
    graph.collections[governance.ALERTS] = [dict(copy.deepcopy(DOCUMENTED), isEnabled=False)]
    name, news = one(deployed, ALERT, "baseline-pim-alerts-priv-alert-ga")
    created = create(host, ALERT, name, news)
    assert created.id == DOCUMENTED["id"]
    (patch,) = graph.sent("PATCH")
    assert patch.version == "beta" and patch.body == {"@odata.type": DOCUMENTED["@odata.type"], "isEnabled": True}
    assert graph.collections[governance.ALERTS][0]["globalAdminCountThreshold"] == 2  # thresholds stay the tenant's
    assert diff(host, ALERT, name, created.id, created.properties, news).changes == NONE
    graph.collections[governance.ALERTS][0]["isEnabled"] = False
    refreshed = read(host, ALERT, name, created.id, properties=created.properties)
    assert diff(host, ALERT, name, created.id, refreshed.properties, news).changes == SOME
    graph.requests.clear()
    update(host, ALERT, name, created.id, refreshed.properties, news)
    assert [r.method for r in graph.requests] == ["GET", "PATCH"]
    graph.requests.clear()
    delete(host, ALERT, name, created.id, created.properties)
    assert graph.requests == []  # switching an alert off on destroy would be a silent weakening
    assert tenant is not None


@pytest.mark.parametrize("value", ["yes", 1, "on", None, ["true"]])
def test_pim_alerts_accepts_only_true_or_false(tmp_path, value):
    from tests.config.test_config import one_line, stack

    line = one_line(stack(tmp_path, lambda c: c["ztb:pim"].__setitem__("alerts", value)))
    assert "pim.alerts" in line, line
