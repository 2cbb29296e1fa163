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


def test_init_does_not_pin_a_role(team_repo):
    text = open(os.path.join(team_repo.path, "company.config.yaml")).read()
    assert "\n  # role: backend\n" in text and "\n  role:" not in text
    assert "agent/<role>/" in text and "Agent-Role:" in text


def test_init_role_flag_still_pins_it(tmp_repo):
    tmp_repo.commit("chore: start", {"README.md": "x\n"})
    assert run_guard("init", "--role", "devops", cwd=tmp_repo.path).code == 0
    assert "\n  role: devops\n" in open(os.path.join(tmp_repo.path, "company.config.yaml")).read()


def test_init_prints_the_next_three_steps(tmp_repo):
    tmp_repo.commit("chore: start", {"README.md": "x\n"})
    res = run_guard("init", cwd=tmp_repo.path)
    assert res.code == 0, res.err
    assert "1. commit company.config.yaml on the base branch" in res.out
    assert "2. add guard's hooks to .pre-commit-config.yaml" in res.out
    assert "3. run `guard check --base <base branch>` in CI" in res.out


def test_branch_name_gives_the_role_after_init(team_repo):
    """The issue's case: on agent/frontend/card the frontend's own component is in scope."""
    team_repo.branch("agent/frontend/card")
    team_repo.commit("feat(card): show the total", {"src/components/Card.tsx": "export 1\n"})
    res = run_guard("check", "--base", "main", "--format", "json", cwd=team_repo.path)
    assert res.code == 0, res.out + res.err
    import json
    data = json.loads(res.out)
    assert data["role"] == "frontend"
    assert not [f for f in data["findings"] if f["rule"] == "SCOPE001"]


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
