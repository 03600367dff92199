"""The shared input reader (ztb.inputfile) and the one group matcher (ztb.tenant.groups)."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import SAMPLE_STACK
from ztb.config import load_stack_file
from ztb.drift import detect as drift
from ztb.inputfile import InputError, check_tree, decode, parse_json
from ztb.model.baseline import build
from ztb.tenant.groups import group_ids, match_groups
from ztb.tenant.ideal import ideal_snapshot
from ztb.tenant.snapshot import SnapshotError, load

SAMPLE = build(load_stack_file(SAMPLE_STACK))
IDEAL = ideal_snapshot(SAMPLE)


def test_a_utf8_byte_order_mark_is_dropped_and_utf16_is_refused_by_name_with_the_fix():
    assert decode(b"\xef\xbb\xbf{}") == "{}"
    with pytest.raises(InputError, match=r"^not UTF-8 text \(UTF-16, by its byte-order mark\); save it as UTF-8$"):
        decode("{}".encode("utf-16"), fix="other", utf16_fix="save it as UTF-8")
    with pytest.raises(InputError, match=r"^not UTF-8 text \(UTF-32, by its byte-order mark\)$"):
        decode("{}".encode("utf-32"))
    with pytest.raises(InputError, match=r"^not UTF-8 text \(byte 1\); fix it$"):
        decode(b"{\xff}", fix="fix it")


def test_strict_json_refuses_repeated_keys_nan_and_deep_trees():
    with pytest.raises(InputError, match="appears twice"):
        parse_json('{"a": 1, "a": 2}', 32, "note")
    with pytest.raises(InputError, match="NaN"):
        parse_json('{"a": NaN}', 32, "note")
    with pytest.raises(InputError, match=r"more than the 3 levels ztb reads; note\)$"):
        check_tree([[[[1]]]], 3, "note")
    with pytest.raises(InputError, match="lone UTF-16 surrogate"):
        check_tree({"a": ["\ud800"]}, 32, "note")


def test_a_snapshot_saved_with_a_utf16_byte_order_mark_is_one_line_naming_it(tmp_path):
    path = tmp_path / "snap.json"
    path.write_bytes(json.dumps(IDEAL).encode("utf-16"))
    with pytest.raises(SnapshotError, match=r"not UTF-8 text \(UTF-16, by its byte-order mark\); pass a snapshot written by"):
        load(str(path))


def test_the_ideal_snapshot_resolves_every_group_key_as_drift_and_export_match_groups():
    matches = match_groups(SAMPLE, IDEAL["groups"])
    assert all(len(found) == 1 for _, found in matches)
    ids = group_ids(matches)
    assert set(ids) == {c.meta.group_key for c in SAMPLE.of_kind("group")}
    assert set(ids.values()) <= {g["id"] for g in IDEAL["groups"]}


def test_drift_compares_the_kinds_in_any_order_with_the_same_verdicts():
    snap = copy.deepcopy(IDEAL)
    emergency = group_ids(match_groups(SAMPLE, snap["groups"]))["emergencyAccess"]
    for policy in snap["conditionalAccessPolicies"]:
        excluded = policy["conditions"]["users"]["excludeGroups"]
        if emergency in excluded:
            excluded.remove(emergency)

    def run(order: list[str]) -> dict[str, tuple[str, str]]:
        d = drift._Drift(SAMPLE, snap)
        others: list = []
        for kind in order:
            result = getattr(d, kind)() if kind != "unmanaged" else d.unmanaged(others)
            if kind == "conditional_access":
                others = result
        return {f.control_id: (f.impact, f.reason) for f in d.findings}

    usual = run(["groups", "conditional_access", "pim", "compliance", "unmanaged", "uncovered"])
    assert usual and all(impact == "weakens" for impact, _ in usual.values())
    assert run(["conditional_access", "unmanaged", "compliance", "pim", "uncovered", "groups"]) == usual
