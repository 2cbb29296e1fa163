"""relate._split: a SCOPE001 hint cut into its fix and the words after it, for every fix
scope.py's _fix writes (the split no longer builds those strings per finding)."""

import pytest

from guard.finding import Finding
from guard.relate import _split

TAIL = "; owned by the DevOps Engineer; ask the Staff Engineer to route the change to its owner"


def _finding(hint: str, path: str = "deploy/x.yaml") -> Finding:
    return Finding("SCOPE001", "scope", "error", f"{path} (modified) is forbidden", hint, path)


@pytest.mark.parametrize("fix", ["move it back to deploy/x.yaml",
                                 "remove deploy/x.yaml from the branch",
                                 "restore deploy/x.yaml", "revert deploy/x.yaml"])
def test_each_fix_is_split_from_its_tail(fix):
    assert _split(_finding(fix + TAIL)) == (fix, TAIL)
    assert _split(_finding(fix)) == (fix, "")


def test_a_colon_after_the_fix_becomes_a_semicolon():
    assert _split(_finding("revert deploy/x.yaml: owned by ops")) == (
        "revert deploy/x.yaml", "; owned by ops")


@pytest.mark.parametrize("hint", [
    "remove deploy/x.yaml",                      # "remove" without "from the branch"
    "revert deploy/other.yaml; owned by ops",    # another path
    "revert deploy/x.yam",                       # a prefix of the path
    "coordinate this change via the Staff Engineer",
])
def test_a_hint_of_another_shape_is_kept_whole(hint):
    assert _split(_finding(hint)) == (hint, "")
