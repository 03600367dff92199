"""``ztb:globalAdministratorRange``: which range of Global Administrators PRIV-MAN-04 accepts, and its bad input."""

from __future__ import annotations

import pytest

from tests.config.test_config import one_line, plan, stack
from ztb.config import load_stack_file
from ztb.drift.standing import CISA_RANGE, MICROSOFT_RANGE, RANGES
from ztb.model.baseline import build


@pytest.mark.parametrize("value", ["Microsoft", "CISA", "nist", "", " microsoft", "microsoft,cisa", 4, True, None, ["cisa"],
                                   {"max": 8}, 2.8])
def test_anything_but_microsoft_or_cisa_is_refused_in_one_line(tmp_path, value):
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:globalAdministratorRange", value)))
    assert "ztb:globalAdministratorRange" in line


def test_a_misspelt_key_names_the_closest(tmp_path):
    line = one_line(stack(tmp_path, lambda c: c.__setitem__("ztb:globalAdminstratorRange", "cisa")))
    assert "globalAdministratorRange" in line


def test_twice_is_refused(tmp_path):
    path = stack(tmp_path)
    path.write_text(path.read_text() + "  ztb:globalAdministratorRange: cisa\n  ztb:globalAdministratorRange: microsoft\n")
    assert "globalAdministratorRange" in " ".join(one_line(path).split())


@pytest.mark.parametrize("value, expected", [("microsoft", MICROSOFT_RANGE), ("cisa", CISA_RANGE)])
def test_each_value_names_its_range(tmp_path, value, expected):
    path = stack(tmp_path, lambda c: c.__setitem__("ztb:globalAdministratorRange", value))
    assert plan(path).exit_code == 0
    assert RANGES[build(load_stack_file(str(path))).config.globalAdministratorRange] == expected


def test_the_default_is_microsofts_range(tmp_path):
    assert build(load_stack_file(str(stack(tmp_path)))).config.globalAdministratorRange == "microsoft" and MICROSOFT_RANGE == (2, 4)
