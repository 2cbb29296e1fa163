"""The guard-commit-msg hook through the real pre-commit framework: `try-repo` at the
commit-msg stage, and a real `git commit` after `pre-commit install` with
`default_install_hook_types`, so the documented set-up is what is tested.

Both install guard from this repository into pre-commit's own virtualenv (PyPI for its
dependencies), so they are marked slow like tests/test_precommit.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gitrepo import Repo, backend_project, git_env

pytestmark = pytest.mark.slow

GUARD_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pre_commit() -> str:
    exe = os.path.join(os.path.dirname(sys.executable), "pre-commit")
    if not os.path.exists(exe):
        pytest.fail(f"pre-commit is not installed next to {sys.executable}; it is a test "
                    "dependency: pip install -e '.[test]'", pytrace=False)
    return exe


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    e = git_env()
    e["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    e["PRE_COMMIT_COLOR"] = "never"
    return e


def _msg(tmp_path, text: str) -> str:
    path = tmp_path / "COMMIT_EDITMSG"
    path.write_text(text)
    return str(path)


def _try(repo: Repo, env: dict, msg: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([_pre_commit(), "try-repo", GUARD_ROOT, "guard-commit-msg",
                           "--hook-stage", "commit-msg", "--commit-msg-filename", msg,
                           "--verbose", "--color", "never"],
                          cwd=repo.path, env=env, capture_output=True, text=True, check=False)
    print(proc.stdout, proc.stderr)
    assert "An unexpected error has occurred" not in proc.stdout + proc.stderr
    assert "- hook id: guard-commit-msg" in proc.stdout
    assert "guard: error" not in proc.stdout and "internal error" not in proc.stdout
    return proc


def test_try_repo_commit_msg_stage(tmp_path, env):
    repo = backend_project(str(tmp_path / "p"))
    bad = _try(repo, env, _msg(tmp_path, "WIP orders\n\n# Please enter the commit message\n"))
    assert bad.returncode == 1 and "COMMIT008" in bad.stdout
    fixup = _try(repo, env, _msg(tmp_path, "fixup! feat(api): add orders\n"))
    assert fixup.returncode == 0 and "Passed" in fixup.stdout
    good = _try(repo, env, _msg(tmp_path, "feat(api): add orders\n\n# WIP in a comment\n"))
    assert good.returncode == 0 and "Passed" in good.stdout


def test_installed_hook_runs_on_git_commit(tmp_path, env):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=GUARD_ROOT, env=git_env(),
                          capture_output=True, text=True, check=True).stdout.strip()
    shown = subprocess.run(["git", "show", f"{head}:.pre-commit-hooks.yaml"], cwd=GUARD_ROOT,
                           env=git_env(), capture_output=True, text=True, check=False).stdout
    if "guard-commit-msg" not in shown:
        pytest.fail("the guard-commit-msg hook is not committed in this repository's HEAD; "
                    "pre-commit installs hooks from a commit", pytrace=False)
    repo = backend_project(str(tmp_path / "p"))
    repo.git("config", "--unset", "core.hooksPath")
    repo.write(".pre-commit-config.yaml",
               "default_install_hook_types: [pre-commit, commit-msg]\n"
               f"repos:\n  - repo: {GUARD_ROOT}\n    rev: {head}\n    hooks:\n"
               "      - id: guard-commit-msg\n")
    repo.git("add", ".pre-commit-config.yaml")
    repo.git("commit", "-q", "--no-verify", "-m", "chore: pre-commit config")
    inst = subprocess.run([_pre_commit(), "install"], cwd=repo.path, env=env,
                          capture_output=True, text=True, check=False)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    assert os.path.exists(os.path.join(repo.path, ".git", "hooks", "commit-msg"))

    def commit(message: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message],
                              cwd=repo.path, env=env, capture_output=True, text=True)

    bad = commit("Added the orders endpoint")
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert "COMMIT001" in bad.stdout + bad.stderr
    assert "feat: add the orders endpoint" in bad.stdout + bad.stderr
    good = commit("feat(api): add the orders endpoint")
    assert good.returncode == 0, good.stdout + good.stderr
    assert repo.git("log", "-1", "--format=%s") == "feat(api): add the orders endpoint"
