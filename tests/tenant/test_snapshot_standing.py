"""Hostile and broken standing-access collections in a snapshot, as classes: one line, exit 1.

The role schedule instances, activation requests and principals `ztb export` writes
(:data:`ztb.tenant.snapshot.STANDING_COLLECTIONS`): wrong JSON types wherever standing access
reads, object IDs twice, more items than the limits, and some of the four without the others.
"""

from __future__ import annotations

import copy

import pytest

from tests.doubles.graph import sample
from tests.tenant.test_snapshot_hostile import at, ideal, refused
from ztb.tenant.snapshot import MAX_ITEMS, STANDING_COLLECTIONS


def standing() -> dict:
    """The ideal snapshot with Microsoft's documented permanent assignment in it (no collection empty)."""
    doc = ideal()
    doc["roleAssignmentScheduleInstances"] = [sample("roleassignmentscheduleinstances-list.response.json")["value"][0]]
    return doc


WRONG_TYPES = {
    "roleAssignmentScheduleInstances[0].principalId": [5, None, "not-a-guid", ["6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"]],
    "roleAssignmentScheduleInstances[0].roleDefinitionId": [5, None, ""],
    "roleAssignmentScheduleInstances[0].endDateTime": [5, ["2024-01-01T00:00:00Z"], True],
    "roleAssignmentScheduleInstances[0].startDateTime": [{}, 0],
    "roleAssignmentScheduleInstances[0].assignmentType": [1, ["Assigned"]],
    "roleAssignmentScheduleInstances[0].directoryScopeId": [0, ["/"]],
    "roleEligibilityScheduleInstances[0].principalId": [5, None],
    "roleEligibilityScheduleInstances[0].id": [7, None, "a b"],
    "roleActivationRequests[0].createdDateTime": [5, None],
    "roleActivationRequests[0].action": [None, ["selfActivate"]],
    "rolePrincipals[0].onPremisesSyncEnabled": ["true", 1],
    "rolePrincipals[0].userPrincipalName": [5, ["a@contoso.com"]],
    "rolePrincipals[0].isAssignableToRole": ["true"],
    "rolePrincipals[0].id": [5, "ad000000"],
    "roleAssignmentScheduleInstances": [{}, "none", [["x"]]],
    "rolePrincipals": [{}, 5],
}
CASES = [(path, value) for path, values in WRONG_TYPES.items() for value in values]


@pytest.mark.parametrize("path,value", CASES, ids=[f"{p}={v!r}" for p, v in CASES])
def test_a_wrong_json_type_where_standing_access_reads_is_one_line_naming_the_field(path, value, tmp_path):
    doc = standing()
    parent, key = at(doc, path)
    parent[key] = value
    message = refused(doc, tmp_path)
    assert path.rsplit(".", 1)[-1].split("[")[0] in message and "ztb export" in message, message


@pytest.mark.parametrize("kind", [None, "#microsoft.graph.servicePrincipal", "user", 5])
def test_a_principal_that_is_not_a_typed_user_or_group_is_refused(kind, tmp_path):
    doc = standing()
    doc["rolePrincipals"][0]["@odata.type"] = kind
    assert "rolePrincipals[0].@odata.type" in refused(doc, tmp_path)


@pytest.mark.parametrize("collection", STANDING_COLLECTIONS)
def test_a_repeated_object_id_is_an_error_not_first_one_wins(collection, tmp_path):
    doc = standing()
    twin = copy.deepcopy(doc[collection][0])
    twin["id"] = twin["id"].upper()  # Graph IDs compare without case
    doc[collection].append(twin)
    message = refused(doc, tmp_path)
    assert f"'{collection}' holds the object" in message and "twice" in message


@pytest.mark.parametrize("collection", STANDING_COLLECTIONS)
def test_more_items_than_any_tenant_holds_is_refused_naming_the_limit(collection, tmp_path):
    doc = standing()
    template = doc[collection][0]
    doc[collection] = [dict(template, id=f"{i:08x}-0000-4000-8000-000000000000") for i in range(MAX_ITEMS[collection] + 1)]
    assert f"more than the {MAX_ITEMS[collection]:,} ztb reads" in refused(doc, tmp_path)


@pytest.mark.parametrize("absent", STANDING_COLLECTIONS)
def test_some_of_the_four_without_the_others_is_refused(absent, tmp_path):
    doc = standing()
    del doc[absent]
    message = refused(doc, tmp_path)
    assert f"'{absent}' is not" in message and "all of" in message
