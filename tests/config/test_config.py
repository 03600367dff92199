"""The stack config as a hostile or unlucky user writes it: refused in one line before anything is declared.

Each class of input is fed with its relatives (sizes, depth, types, encodings, duplicates) through
the file path (`ztb plan --config`) and, where the program reads it differently, through the
program's path (Pulumi's strings).
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ztb.deploy import azuread
from ztb.cli import cli
from ztb.config import MAX_CONFIG_BYTES, MAX_DEPTH, MAX_PROBLEMS, ConfigError, load_stack_file, load_yaml, split_namespace, validate
from ztb.model.baseline import build

from tests.conftest import SAMPLE_STACK

TEXT = SAMPLE_STACK.read_text(encoding="utf-8")
DOC = yaml.safe_load(TEXT)
BREAK_GLASS = "0b5e0a11-0000-4000-8000-000000000001"
ADMIN = "ad000000-0000-4000-8000-000000000011"
CA_EXCLUSION = "0ca0e8c1-0000-4000-8000-000000000003"
APPROVERS = "a9940000-0000-4000-8000-000000000004"


def plan(path: Path):
    return CliRunner().invoke(cli, ["plan", "--config", str(path), "--format", "json"], catch_exceptions=False)


def refused(path: Path) -> list[str]:
    """Exit 1, nothing on stdout, every stderr line an `Error:` line, no traceback."""
    result = plan(path)
    assert result.exit_code == 1, (result.exit_code, result.stdout[:200], result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    return lines


def one_line(path: Path) -> str:
    lines = refused(path)
    assert len(lines) == 1, lines
    return lines[0]


def stack(tmp_path: Path, change=None, text: str | None = None, data: bytes | None = None) -> Path:
    path = tmp_path / "Pulumi.test.yaml"
    if data is not None:
        path.write_bytes(data)
        return path
    if text is None:
        doc = copy.deepcopy(DOC)
        if change:
            change(doc["config"])
        text = yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def program_values(change=None) -> dict[str, Any]:
    """The stack config as Pulumi hands it to the program: every value a string, structures as JSON."""
    values = copy.deepcopy(DOC["config"])
    if change:
        change(values)
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def program_problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate(split_namespace(raw, "stack config"))
    return info.value.problems


# -- sizes -----------------------------------------------------------------------------------------

def test_a_config_larger_than_the_limit_is_refused_before_it_is_parsed(tmp_path):
    path = stack(tmp_path, text=TEXT + "# " + "x" * MAX_CONFIG_BYTES + "\n")
    line = one_line(path)
    assert f"larger than {MAX_CONFIG_BYTES // 1024} KiB" in line


def test_an_endless_file_is_refused_by_its_size_not_read_to_the_end():
    assert "larger than" in one_line(Path("/dev/zero"))


def test_a_config_just_under_the_limit_is_still_read(tmp_path):
    padding = "# " + "x" * (MAX_CONFIG_BYTES - len(TEXT.encode()) - 10) + "\n"
    assert plan(stack(tmp_path, text=TEXT + padding)).exit_code == 0


def test_the_programs_strings_have_the_same_size_limit():
    raw = program_values(lambda c: c.__setitem__("ztb:namePrefix", "x" * (MAX_CONFIG_BYTES + 1)))
    assert any("larger than" in p for p in program_problems(raw))


def test_thousands_of_bad_entries_give_a_bounded_answer(tmp_path):
    path = stack(tmp_path, lambda c: c.__setitem__("ztb:securityApps", [{"name": str(i), "appId": f"bad-{i}"} for i in range(500)]))
    lines = refused(path)
    assert len(lines) == MAX_PROBLEMS + 1 and "more problems" in lines[-1]


# -- depth -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("nesting", [MAX_DEPTH, 1000, 100_000])
def test_deep_yaml_nesting_is_refused_with_the_limit_named(tmp_path, nesting):
    path = stack(tmp_path, text="config:\n  ztb:phase: " + "[" * nesting + "]" * nesting + "\n")
    assert f"nested more than {MAX_DEPTH} levels" in one_line(path)


def test_deep_block_style_nesting_is_refused_too(tmp_path):
    body = "".join("  " * (i + 2) + f"k{i}:\n" for i in range(MAX_DEPTH + 2))
    assert f"nested more than {MAX_DEPTH} levels" in one_line(stack(tmp_path, text="config:\n  ztb:roles:\n" + body))


@pytest.mark.parametrize("nesting", [MAX_DEPTH + 1, 100_000])
def test_deep_json_in_a_program_string_is_refused_before_decoding(nesting):
    raw = program_values()
    raw["ztb:roles"] = '{"add": ' + "[" * nesting + "]" * nesting + "}"
    problems = program_problems(raw)
    assert len(problems) == 1 and f"nested more than {MAX_DEPTH} levels" in problems[0]


def test_brackets_inside_json_strings_do_not_count_as_nesting():
    raw = program_values(lambda c: c["ztb:pim"].__setitem__("approvalRoles", ["[" * (MAX_DEPTH * 2) + " Administrator"]))
    assert any("ztb:pim.approvalRoles[0]" in p and "unknown role" in p for p in program_problems(raw))


# -- types: both paths read what `pulumi config set` writes -------------------------------------

@pytest.mark.parametrize("value", [True, False, "true", 4.5, "4.0", " 4", "4h", None, [4], {"hours": 4}])
def test_something_other_than_a_whole_number_is_refused_where_one_belongs(tmp_path, value):
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:signInFrequencyHours", value)))
    assert "ztb:signInFrequencyHours" in line


@pytest.mark.parametrize("value", [True, "true", None])
def test_the_program_refuses_a_switch_where_a_number_belongs(value):
    raw = program_values()
    raw["ztb:signInFrequencyHours"] = json.dumps(value) if not isinstance(value, str) else value
    assert any("signInFrequencyHours" in p for p in program_problems(raw))


def test_the_number_pulumi_config_set_writes_as_text_is_a_number_on_both_paths(tmp_path):
    """`pulumi config set ztb:signInFrequencyHours 4` writes "4"; the program receives "4" either way."""
    from_file = load_stack_file(stack(tmp_path, lambda c: c.__setitem__("ztb:signInFrequencyHours", "4")))
    from_program = validate(split_namespace(program_values(), "stack config"))
    assert from_file.signInFrequencyHours == from_program.signInFrequencyHours == 4
    assert build(from_file).by_id()["PRIV-CA-06"].desired == build(from_program).by_id()["PRIV-CA-06"].desired


@pytest.mark.parametrize("value", ["yes", "on", "1", 1, 0, "TRUE ", "enabled"])
def test_a_switch_accepts_only_true_or_false(tmp_path, value):
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:reportOnly", value)))
    assert "ztb:reportOnly" in line and "true or false" in line


@pytest.mark.parametrize("spelled", ["yes", "on", "Yes"])
def test_yaml_1_1_booleans_are_strings_as_pulumi_reads_them(tmp_path, spelled):
    """PyYAML's default reads `yes` as true; Pulumi (YAML 1.2) hands the program the string "yes"."""
    text = TEXT.replace("  ztb:reportOnly: false\n", f"  ztb:reportOnly: {spelled}\n")
    assert "true or false" in one_line(stack(tmp_path, text=text))
    assert any("true or false" in p for p in program_problems(program_values(lambda c: c.__setitem__("ztb:reportOnly", spelled))))


def test_nested_switches_accept_the_text_form_on_both_paths(tmp_path):
    cfg = load_stack_file(stack(tmp_path, lambda c: c["ztb:deviceCompliance"].__setitem__("enabled", "false")))
    assert cfg.deviceCompliance.enabled is False
    assert validate(split_namespace(program_values(lambda c: c["ztb:deviceCompliance"].__setitem__("enabled", False)), "x")).deviceCompliance.enabled is False


def test_a_name_prefix_of_digits_stays_text_on_both_paths(tmp_path):
    """`pulumi config set ztb:namePrefix 2024` writes "2024"; a YAML 2024 is the same to Pulumi."""
    assert load_stack_file(stack(tmp_path, lambda c: c.__setitem__("ztb:namePrefix", 2024))).namePrefix == "2024"
    assert validate(split_namespace(program_values(lambda c: c.__setitem__("ztb:namePrefix", "2024")), "x")).namePrefix == "2024"


def test_a_date_like_value_is_a_string_not_a_date(tmp_path):
    text = TEXT.replace("  ztb:namePrefix: ZTB\n", "  ztb:namePrefix: 2024-01-01\n")
    assert load_stack_file(stack(tmp_path, text=text)).namePrefix == "2024-01-01"


@pytest.mark.parametrize("key,value", [
    ("ztb:emergencyAccessUserIds", "0b5e0a11-0000-4000-8000-000000000001"),
    ("ztb:emergencyAccessUserIds", [1, 2]),
    ("ztb:pim", ["notificationMailbox"]),
    ("ztb:eligibility", ["ad000000-0000-4000-8000-000000000011"]),
    ("ztb:eligibility", {"ad000000-0000-4000-8000-000000000011": "Global Reader"}),
    ("ztb:securityApps", {"name": "x"}),
    ("ztb:roles", "Global Reader"),
])
def test_a_value_of_the_wrong_shape_is_one_line_naming_the_key(tmp_path, key, value):
    lines = refused(stack(tmp_path, lambda c: c.__setitem__(key, value)))
    assert any(key in line for line in lines), lines


def test_a_program_string_that_is_not_json_is_refused_naming_the_key():
    raw = program_values()
    raw["ztb:pim"] = '{"notificationMailbox": '
    problems = program_problems(raw)
    assert problems == [problems[0]] and "ztb:pim" in problems[0] and "not valid JSON" in problems[0]


# -- encodings -------------------------------------------------------------------------------------

def test_utf8_with_a_byte_order_mark_is_read_like_without(tmp_path):
    assert plan(stack(tmp_path, data=b"\xef\xbb\xbf" + TEXT.encode())).exit_code == 0


@pytest.mark.parametrize("encoding,name", [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_are_refused_by_name(tmp_path, encoding, name):
    data = TEXT.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    line = one_line(stack(tmp_path, data=data))
    assert "not UTF-8" in line and name in line


@pytest.mark.parametrize("data", [b"\xc3\x28", b"config:\n  ztb:phase: \xff\n", "config:\n  ztb:phase: é\n".encode("latin-1")])
def test_bytes_that_are_not_utf8_are_refused(tmp_path, data):
    assert "not UTF-8" in one_line(stack(tmp_path, data=data))


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_in_the_yaml_are_refused_in_one_line(tmp_path, char):
    assert "not valid YAML" in one_line(stack(tmp_path, text=TEXT.replace("ZTB\n", f"ZT{char}B\n", 1)))


def test_a_key_with_a_newline_cannot_break_the_one_line_promise(tmp_path):
    lines = refused(stack(tmp_path, lambda c: c.__setitem__("ztb:eligibility", {"evil\nError: injected": ["Global Reader"]})))
    assert len(lines) == 1 and "\\n" in lines[0]


# -- duplicates ------------------------------------------------------------------------------------

def test_a_duplicate_top_level_key_is_refused_not_last_one_wins(tmp_path):
    text = TEXT.replace("  ztb:reportOnly: false\n", "  ztb:reportOnly: true\n  ztb:reportOnly: false\n")
    line = one_line(stack(tmp_path, text=text))
    assert "'ztb:reportOnly' twice" in line and "line" in line


def test_a_duplicate_nested_key_is_refused_at_any_depth(tmp_path):
    text = TEXT.replace("    enabled: true\n", "    enabled: true\n    enabled: false\n")
    assert "'enabled' twice" in one_line(stack(tmp_path, text=text))
    text = TEXT.replace("    - name: Tanium SSO\n", "    - name: Tanium SSO\n      name: Other\n")
    assert "'name' twice" in one_line(stack(tmp_path, text=text))


def test_a_duplicate_key_in_a_program_json_string_is_refused():
    raw = program_values()
    raw["ztb:deviceCompliance"] = '{"enabled": true, "enabled": false}'
    assert any("'enabled' twice" in p for p in program_problems(raw))


def test_the_same_principal_in_two_letter_cases_is_refused(tmp_path):
    def change(c):
        c["ztb:eligibility"][ADMIN.upper()] = ["Global Reader"]
    line = one_line(stack(tmp_path, change))
    assert "listed twice" in line and ADMIN in line


@pytest.mark.parametrize("key", ["ztb:emergencyAccessUserIds", "ztb:groupOwners", "ztb:conditionalAccessExclusionMemberIds"])
def test_the_same_object_twice_in_an_id_list_is_refused_in_any_case(tmp_path, key):
    oid = "0a0e0000-0000-4000-8000-0000000000f9"
    line = one_line(stack(tmp_path, lambda c: c.__setitem__(key, [BREAK_GLASS, oid, oid.upper()] if "emergency" in key else [oid, oid.upper()])))
    assert key in line and "twice" in line


@pytest.mark.parametrize("change,expected", [
    (lambda c: c["ztb:securityApps"].append(dict(c["ztb:securityApps"][0])), "ztb:securityApps"),
    (lambda c: c.__setitem__("ztb:reportOnlyControls", ["PRIV-CA-07", "PRIV-CA-07"]), "ztb:reportOnlyControls"),
    (lambda c: c.__setitem__("ztb:roles", {"add": ["Global Reader", "global reader"]}), "ztb:roles.add[1]"),
    (lambda c: c["ztb:eligibility"].__setitem__(ADMIN, ["Global Administrator", "62e90394-69f5-4237-9190-012177145e10"]), f"ztb:eligibility.{ADMIN}[1]"),
    (lambda c: c.__setitem__("ztb:roles", {"add": ["Global Reader"], "remove": ["Global Reader"]}), "both adds and removes"),
    (lambda c: c["ztb:deviceCompliance"].__setitem__("assignExistingPolicyIds", [CA_EXCLUSION, CA_EXCLUSION.upper()]), "assignExistingPolicyIds"),
])
def test_the_same_entry_twice_in_any_list_is_refused(tmp_path, change, expected):
    assert expected in one_line(stack(tmp_path, change))


@pytest.mark.parametrize("text,expected", [
    ("config:\n  ztb:phase: &p full\n  ztb:level: *p\n", "alias"),
    ("config:\n  ztb:pim: &p {notificationMailbox: a@b.c}\n  x: {y: *p}\n", "alias"),
    ("config:\n  ztb:pim:\n    <<: {notificationMailbox: a@b.c}\n", "merge key"),
    ("config:\n  ztb:phase: !!python/name:os.system full\n", "tag"),
    ("config:\n  ztb:phase: full\n---\nconfig: {}\n", "more than one YAML document"),
    ("config:\n  ? [a, b]\n  : x\n", "list or mapping"),
])
def test_yaml_features_a_stack_file_never_uses_are_refused(tmp_path, text, expected):
    assert expected in one_line(stack(tmp_path, text=text))


def test_the_yaml_reader_builds_what_a_yaml_parser_builds_for_a_plain_stack_file():
    assert load_yaml(TEXT) == yaml.safe_load(TEXT)


# -- contradictions the config cannot hold --------------------------------------------------------

def test_a_break_glass_account_made_eligible_for_a_role_is_refused(tmp_path):
    line = one_line(stack(tmp_path, lambda c: c["ztb:eligibility"].__setitem__(BREAK_GLASS.upper(), ["Global Administrator"])))
    assert "break-glass account" in line and BREAK_GLASS in line


def test_a_ca_exclusion_member_made_eligible_is_refused(tmp_path):
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:conditionalAccessExclusionMemberIds", [ADMIN])))
    assert "conditionalAccessExclusionMemberIds" in line and ADMIN in line


GROUP_KEYS = [
    ("ztb:emergencyAccessGroupId",), ("ztb:conditionalAccessExclusionGroupId",), ("ztb:privilegedGroupId",),
    ("ztb:ringGroupIds", "evaluate"), ("ztb:ringGroupIds", "pilot"), ("ztb:ringGroupIds", "full"), ("ztb:pim", "approverGroupId"),
]


def _set(c: dict, path: tuple, value: str) -> None:
    if len(path) == 1:
        c[path[0]] = value
    else:
        c.setdefault(path[0], {})[path[1]] = value


@pytest.mark.parametrize("a,b", list(itertools.combinations(GROUP_KEYS, 2)))
def test_any_two_group_ids_that_must_differ_are_refused_when_equal(tmp_path, a, b):
    same = "5a5e0000-0000-4000-8000-000000000055"

    def change(c):
        _set(c, a, same)
        _set(c, b, same.upper())
    lines = refused(stack(tmp_path, change))
    assert any("name the same group" in line and same in line for line in lines), lines


@pytest.mark.parametrize("key", ["ztb:emergencyAccessUserIds", "ztb:conditionalAccessExclusionMemberIds", "ztb:groupOwners"])
def test_a_group_id_listed_as_a_user_is_refused(tmp_path, key):
    def change(c):
        c[key] = [CA_EXCLUSION] + ([BREAK_GLASS] if "emergency" in key else [])
    assert any(CA_EXCLUSION in line and "group" in line for line in refused(stack(tmp_path, change)))


@pytest.mark.parametrize("key", ["ztb:conditionalAccessExclusionGroupId", "ztb:pim"])
def test_one_of_the_baselines_groups_made_eligible_is_refused(tmp_path, key):
    group = CA_EXCLUSION if key != "ztb:pim" else APPROVERS
    lines = refused(stack(tmp_path, lambda c: c["ztb:eligibility"].__setitem__(group, ["Global Reader"])))
    assert any("eligible" in line and group in line for line in lines)


def test_owners_default_to_the_break_glass_accounts_and_an_admin_cannot_be_one(tmp_path):
    cfg = load_stack_file(SAMPLE_STACK)
    assert cfg.owner_ids == cfg.emergencyAccessUserIds
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:groupOwners", [ADMIN])))
    assert "ztb:groupOwners" in line and ADMIN in line and "exclude themselves" in line


def test_no_owners_at_all_is_refused_with_the_key_to_set(tmp_path):
    def change(c):
        del c["ztb:emergencyAccessUserIds"]
        c["ztb:emergencyAccessGroupId"] = "e0e0e0e0-0000-4000-8000-000000000099"
    line = one_line(stack(tmp_path, change))
    assert "ztb:groupOwners" in line and "deploying principal" in line
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:groupOwners", [])))
    assert "cannot be left without owners" in line


# -- report-only entries and what the provider will refuse ----------------------------------------

@pytest.mark.parametrize("entry,expected", [
    ("PRIV-CA-7", "did you mean 'PRIV-CA-07'?"),
    ("priv-ca-07", "did you mean 'PRIV-CA-07'?"),
    ("PRIV-CA-99", "names no policy"),
    ("", "names no policy"),
    ("PRIV-GRP-02", "not a Conditional Access policy"),
    ("PRIV-DEV-01", "not a Conditional Access policy"),
])
def test_a_report_only_entry_that_names_no_policy_is_refused_because_the_policy_would_enforce(tmp_path, entry, expected):
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:reportOnlyControls", [entry])))
    assert "ztb:reportOnlyControls[0]" in line and expected in line


def test_no_security_apps_is_refused_before_preview_would_fail(tmp_path):
    line = one_line(stack(tmp_path, lambda c: (c.__setitem__("ztb:securityApps", []), c.__setitem__("ztb:galleryApps", []))))
    assert "PRIV-CA-08" in line and "includedApplications" in line and "ztb:securityApps" in line


def _wire(**changes: Any) -> dict[str, Any]:
    wire = azuread.to_azuread(build(load_stack_file(SAMPLE_STACK)).by_id()["PRIV-CA-01"].desired)
    for path, value in changes.items():
        target = wire
        *parents, last = path.split("__")
        for p in parents:
            target = target.setdefault(p, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return wire


def test_every_policy_of_the_sample_is_deployable():
    from ztb.deploy import graph_ca

    for c in build(load_stack_file(SAMPLE_STACK)).of_kind("conditionalAccessPolicy"):
        if c.meta.via_graph:  # riskRemediation or a context: ztb's Graph provider, with its own schema check
            assert graph_ca.deployability_problems(c.desired) == [], c.id
            continue
        assert azuread.deployability_problems(azuread.to_azuread(c.desired)) == [], c.id


@pytest.mark.parametrize("changes,expected", [
    ({"conditions__applications__includedApplications": None}, "exactly one of includedApplications"),
    ({"conditions__applications__includedUserActions": ["urn:user:registersecurityinfo"]}, "both are set"),
    ({"grantControls__builtInControls": ["riskRemediation"]}, "riskRemediation"),
    ({"grantControls__builtInControls": ["unknownFutureValue"]}, "unknownFutureValue"),
    ({"grantControls__builtInControls": None, "grantControls__authenticationStrengthPolicyId": None}, "grantControls needs"),
    ({"grantControls__operator": "XOR"}, "operator"),
    ({"conditions__signInRiskLevels": ["unknownFutureValue"]}, "signInRiskLevels"),
    ({"conditions__clientAppTypes": ["legacy"]}, "clientAppTypes"),
    ({"conditions__insiderRiskLevels": ["minor"]}, "one string"),
    ({"conditions__insiderRiskLevels": "severe"}, "insiderRiskLevels"),
    ({"conditions__users": {"excludedGroups": ["x"]}}, "includes nobody"),
    ({"conditions__users__includedGroups": [""]}, "empty value"),
    ({"state": "on"}, "state"),
    ({"grantControls": None}, "neither grant controls"),
    ({"sessionControls": {"signInFrequency": 4}}, "set together"),
    ({"sessionControls": {"signInFrequencyInterval": "everyTime", "signInFrequency": 1, "signInFrequencyPeriod": "hours"}}, "everyTime"),
])
def test_each_provider_schema_refusal_is_found_before_preview(changes, expected):
    facts = azuread.deployability_problems(_wire(**changes))
    assert any(expected in f for f in facts), facts


def test_insider_risk_is_the_providers_single_string_not_dropped():
    policy = build(load_stack_file(SAMPLE_STACK)).by_id()["PRIV-CA-01"].desired
    policy = {**policy, "conditions": {**policy["conditions"], "insiderRiskLevels": "elevated"}}
    wire = azuread.to_azuread(policy)
    assert wire["conditions"]["insiderRiskLevels"] == "elevated"
    assert azuread.to_graph(wire)["conditions"]["insiderRiskLevels"] == "elevated"
    assert azuread.to_args(wire)["conditions"].insider_risk_levels == "elevated"
    two = {**policy, "conditions": {**policy["conditions"], "insiderRiskLevels": "minor,elevated"}}
    with pytest.raises(azuread.UnsupportedByAzureadError, match="exactly one level"):
        azuread.to_azuread(two)


def test_the_provider_grant_controls_are_its_schemas_list():
    assert azuread.AZUREAD_BUILT_IN_CONTROLS == {
        "approvedApplication", "block", "compliantApplication", "compliantDevice", "domainJoinedDevice", "mfa", "passwordChange",
    }
