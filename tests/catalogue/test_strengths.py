"""ztb.catalogue.strengths: the built-in authentication strengths, read once, named and ranked for every reader."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from tests.conftest import REPO
from ztb.catalogue import crosswalk, strengths
from ztb.compare.classify import STRENGTHENS, WEAKENS, classify


def test_the_data_file_is_read_once_and_in_graphs_order():
    raw = json.loads(resources.files("ztb.data").joinpath("authentication-strengths.json").read_text(encoding="utf-8"))
    assert list(strengths.built_in()) == list(raw["builtInStrengths"])
    assert strengths.built_in() is strengths.built_in()
    for sid, s in strengths.built_in().items():
        assert s.display_name == raw["builtInStrengths"][sid]["displayName"]
        assert list(s.allowed_combinations) == raw["builtInStrengths"][sid]["allowedCombinations"]


def test_each_stronger_strength_allows_a_subset_of_the_weaker():
    ordered = sorted(strengths.built_in().values(), key=lambda s: s.rank)
    assert [s.id for s in ordered] == [strengths.MFA, strengths.PASSWORDLESS, strengths.PHISHING_RESISTANT]
    for weaker, stronger in zip(ordered, ordered[1:]):
        assert set(stronger.allowed_combinations) < set(weaker.allowed_combinations)
    assert strengths.combinations(strengths.PHISHING_RESISTANT) == strengths.PHISHING_RESISTANT_METHODS


def test_names_and_unknown_ids():
    assert strengths.names()[strengths.PHISHING_RESISTANT] == "Phishing resistant MFA"
    assert strengths.combinations("11111111-0000-0000-0000-000000000000") is None


def test_the_classifier_ranks_by_the_catalogue():
    path = "grantControls.authenticationStrength.id"
    assert classify("conditionalAccessPolicy", path, strengths.MFA, strengths.PHISHING_RESISTANT).impact == STRENGTHENS
    assert classify("conditionalAccessPolicy", path, strengths.PHISHING_RESISTANT, strengths.PASSWORDLESS).impact == WEAKENS


def test_the_crosswalk_reads_the_catalogue():
    policy = {"grantControls": {"authenticationStrength": {"id": strengths.PASSWORDLESS}}}
    assert crosswalk._strength_combos(policy) == frozenset(strengths.built_in()[strengths.PASSWORDLESS].allowed_combinations)


def test_a_strength_is_named_in_data_and_its_id_comes_from_the_data_file_only():
    assert strengths.id_named("Phishing resistant MFA") == strengths.PHISHING_RESISTANT
    assert {strengths.id_named(name) for name in strengths.names().values()} == set(strengths.built_in())
    for wrong in ("phishing resistant mfa", "Phishing-resistant MFA", "", "00000000-0000-0000-0000-000000000004"):
        with pytest.raises(ValueError, match="no built-in authentication strength is named .*use one of: Multifactor"):
            strengths.id_named(wrong)
    levels = (REPO / "stacks" / "levels.yaml").read_text(encoding="utf-8")
    assert not re.search(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-", levels), "stacks/levels.yaml names strengths; their IDs live in ztb/data/authentication-strengths.json"
