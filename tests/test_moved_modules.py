"""Old import paths keep working, with a DeprecationWarning that names the new home."""

from __future__ import annotations

import importlib

import pytest

from rnnsym._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_every_old_path_still_imports_and_warns_on_use(old: str) -> None:
    module = importlib.import_module(old)
    new = importlib.import_module(MOVED[old][0])
    public = [n for n in getattr(new, "__all__", dir(new)) if not n.startswith("_")]
    assert public, f"{MOVED[old][0]} exports nothing"
    with pytest.warns(DeprecationWarning, match=MOVED[old][0].replace(".", r"\.")):
        value = getattr(module, public[0])
    assert value is getattr(new, public[0])


def test_old_fixed_points_path_still_has_the_sweep() -> None:
    from rnnsym.fixedpoints import sweep_fixed_points

    with pytest.warns(DeprecationWarning):
        from rnnsym.fixed_points import sweep_fixed_points as old  # noqa: F401
    assert old is sweep_fixed_points


def test_a_missing_name_is_an_attribute_error_naming_the_new_home() -> None:
    module = importlib.import_module("rnnsym.reachability")
    with pytest.raises(AttributeError, match="rnnsym.linear.controllability"):
        module.no_such_name  # noqa: B018


def test_the_warning_names_the_module_that_now_holds_the_name() -> None:
    module = importlib.import_module("rnnsym.reachability")
    with pytest.warns(DeprecationWarning, match=r"import `exact_rank` from `rnnsym\.linear\.rank`"):
        module.exact_rank  # noqa: B018
