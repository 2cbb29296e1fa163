"""Adopting guard in a fresh repository: what `guard init` writes and how the commands that
read it behave (the role comes from the branch, exit codes as documented)."""

import os

import pytest

from gitrepo import Repo, run_guard


@pytest.fixture
def team_repo(tmp_path) -> Repo:
    """A small project set up the way a new user does: `guard init`, committed on main."""
    repo = Repo.init(str(tmp_path / "team"))
    repo.commit("chore: start", {
        "README.md": "# team\n",
        "src/components/Card.tsx": "export {}\n",
        "src/api/orders.py": "x = 1\n",
        ".github/workflows/ci.yml": "name: ci\n",
    })
    res = run_guard("init", cwd=repo.path)
    assert res.code == 0, res.err
    repo.commit("chore: add guard policy", add_all=True)
    return repo


def _violating_branch(repo: Repo) -> None:
    repo.branch("agent/frontend/card")
    repo.commit("feat(card): touch the workflow", {".github/workflows/ci.yml": "name: x\n"})


def test_check_honours_init_fail_on(team_repo):
    _violating_branch(team_repo)
    res = run_guard("check", "--base", "main", cwd=team_repo.path)
    assert res.code == 1, res.out + res.err
    assert "SCOPE001" in res.out


def test_report_exits_0_whatever_init_wrote(team_repo):
    """init writes `fail_on: error`; that is for `guard check`, the report still exits 0."""
    _violating_branch(team_repo)
    res = run_guard("report", "--base", "main", "--no-run-tests", cwd=team_repo.path)
    assert res.code == 0, res.out + res.err
    assert "SCOPE001" in res.out


def test_report_fails_with_explicit_fail_on(team_repo):
    _violating_branch(team_repo)
    res = run_guard("report", "--base", "main", "--no-run-tests", "--fail-on", "error",
                    cwd=team_repo.path)
    assert res.code == 1, res.out + res.err
