"""The hooks in .pre-commit-hooks.yaml, driven through the real pre-commit framework.

`pre-commit try-repo <guard repo> <hook>` clones this repository (including uncommitted changes
to tracked files, through a shadow repo; untracked files are left out), pip-installs guard into
a fresh virtualenv and runs the hook inside a project repository built by gitrepo.py. The
install needs PyPI (pip's own cache makes repeats quick).

try-repo builds each hook environment in a store inside its own temporary directory
(pre_commit/commands/try_repo.py: `store = Store(tempdir)`), so every call installs guard again
(about 5 s here) whatever PRE_COMMIT_HOME says. PRE_COMMIT_HOME is still set, to one directory
per session, so nothing (e.g. pre-commit.log after a crash) lands in the user's ~/.cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

from gitrepo import Repo, backend_project, git_env

pytestmark = pytest.mark.slow

GUARD_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = ".pre-commit-hooks.yaml"
FORBIDDEN = "src/components/Button.tsx"   # do-not-touch for the backend role
OWNED = "src/api/x.py"


def _pre_commit_exe() -> str:
    exe = os.path.join(os.path.dirname(sys.executable), "pre-commit")
    if os.name == "nt":
        exe += ".exe"
    if not os.path.exists(exe):
        pytest.fail(f"pre-commit is not installed next to {sys.executable} (looked for {exe}); "
                    "it is a test dependency: pip install -e '.[test]'", pytrace=False)
    return exe


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory) -> dict[str, str]:
    """Environment for pre-commit runs, with its own PRE_COMMIT_HOME for the session; also
    checks up front that try-repo will find the hooks manifest."""
    _pre_commit_exe()
    if not os.path.isfile(os.path.join(GUARD_ROOT, MANIFEST)):
        pytest.fail(f"{MANIFEST} is missing from {GUARD_ROOT}", pytrace=False)
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", MANIFEST], cwd=GUARD_ROOT,
                             capture_output=True, env=git_env(), check=False)
    if tracked.returncode != 0:
        pytest.fail(f"{MANIFEST} is not tracked by git in {GUARD_ROOT}: pre-commit try-repo only "
                    f"sees committed or staged files (git add {MANIFEST})", pytrace=False)
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--",
                                "src", "rules", "pyproject.toml"], cwd=GUARD_ROOT,
                               capture_output=True, text=True, env=git_env(), check=False)
    if untracked.stdout.strip():
        warnings.warn("pre-commit try-repo installs guard from tracked files only (committed, "
                      "staged or modified); these untracked files are left out of the hook's "
                      "install: " + ", ".join(untracked.stdout.split()), stacklevel=1)
    env = git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    return env


def try_repo(repo: Repo, env: dict, hook: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([_pre_commit_exe(), "try-repo", GUARD_ROOT, hook, "--verbose",
                           "--color", "never", *args],
                          cwd=repo.path, env=env, capture_output=True, text=True, check=False)
    # Whatever pre-commit printed, shown by pytest when an assertion below fails.
    print(f"$ pre-commit try-repo {GUARD_ROOT} {hook} {' '.join(args)}  -> {proc.returncode}")
    print(proc.stdout)
    print(proc.stderr, file=sys.stderr)
    return proc


def assert_ran(proc: subprocess.CompletedProcess) -> None:
    """The hook really ran guard (not skipped, and no install or config error)."""
    assert "An unexpected error has occurred" not in proc.stdout + proc.stderr
    assert "Skipped" not in proc.stdout
    assert "- hook id: guard-" in proc.stdout
    assert "guard: error" not in proc.stdout, "guard itself failed (exit 2)"
    assert "guard: internal error" not in proc.stdout


@pytest.fixture
def project(tmp_path) -> Repo:
    return backend_project(str(tmp_path / "project"))


# --- guard-scope (pre-commit stage, the staged change) --------------------------------------

def test_scope_hook_fails_on_staged_forbidden_edit(project, pre_commit_env):
    project.write(FORBIDDEN, "export const Button = 1\n")
    project.git("add", FORBIDDEN)
    proc = try_repo(project, pre_commit_env, "guard-scope")
    assert_ran(proc)
    assert proc.returncode == 1
    assert "Failed" in proc.stdout
    assert "SCOPE001" in proc.stdout
    assert FORBIDDEN in proc.stdout


def test_scope_hook_passes_on_staged_owned_file(project, pre_commit_env):
    project.write(OWNED, "x = 1\n")
    project.git("add", OWNED)
    proc = try_repo(project, pre_commit_env, "guard-scope")
    assert_ran(proc)
    assert proc.returncode == 0
    assert "Passed" in proc.stdout
    assert "SCOPE" not in proc.stdout


def test_scope_hook_checks_the_index_not_the_work_tree(project, pre_commit_env):
    """Only what is staged counts: an unstaged forbidden edit does not fail the commit."""
    project.write(OWNED, "x = 1\n")
    project.git("add", OWNED)
    project.write(FORBIDDEN, "unstaged\n")
    proc = try_repo(project, pre_commit_env, "guard-scope")
    assert_ran(proc)
    assert proc.returncode == 0
    # pre-commit stashes the unstaged edit while the hook runs and restores it afterwards.
    with open(os.path.join(project.path, FORBIDDEN), encoding="utf-8") as fh:
        assert fh.read() == "unstaged\n"


def test_scope_hook_runs_for_a_deletion_only_commit(project, pre_commit_env):
    """pre-commit passes no file names for deletions; always_run makes the hook run anyway."""
    project.git("rm", "-q", FORBIDDEN)
    assert project.git("diff", "--cached", "--name-status") == f"D\t{FORBIDDEN}"
    proc = try_repo(project, pre_commit_env, "guard-scope")
    assert_ran(proc)
    assert proc.returncode == 1
    assert "SCOPE001" in proc.stdout
    assert FORBIDDEN in proc.stdout


def test_scope_hook_is_not_a_pre_push_hook(project, pre_commit_env):
    project.commit("feat: touch ui", {FORBIDDEN: "changed\n"})
    proc = try_repo(project, pre_commit_env, "guard-scope", "--hook-stage", "pre-push",
                    "--from-ref", "main", "--to-ref", "HEAD")
    # pre-commit refuses a hook id that is not configured for the stage asked for.
    assert "No hook with id `guard-scope` in stage `pre-push`" in proc.stdout
    assert "- hook id:" not in proc.stdout


# --- guard-check (pre-push stage, the pushed range) -----------------------------------------

def test_check_hook_fails_on_pushed_forbidden_change(project, pre_commit_env):
    project.commit("feat: touch ui", {FORBIDDEN: "changed\n", OWNED: "x = 1\n"})
    proc = try_repo(project, pre_commit_env, "guard-check", "--hook-stage", "pre-push",
                    "--from-ref", "main", "--to-ref", "HEAD")
    assert_ran(proc)
    assert proc.returncode == 1
    assert "SCOPE001" in proc.stdout
    assert FORBIDDEN in proc.stdout


def test_check_hook_passes_on_clean_branch(project, pre_commit_env):
    project.commit("feat(api): add x", {OWNED: "x = 1\n"})
    proc = try_repo(project, pre_commit_env, "guard-check", "--hook-stage", "pre-push",
                    "--from-ref", "main", "--to-ref", "HEAD")
    assert_ran(proc)
    assert proc.returncode == 0
    assert "Passed" in proc.stdout


def test_check_hook_checks_the_pushed_range_not_head(project, pre_commit_env):
    """PRE_COMMIT_TO_REF decides the head: a forbidden commit after the pushed one is ignored."""
    project.commit("feat(api): add x", {OWNED: "x = 1\n"})
    pushed = project.git("rev-parse", "HEAD")
    project.commit("feat: touch ui", {FORBIDDEN: "changed\n"})
    proc = try_repo(project, pre_commit_env, "guard-check", "--hook-stage", "pre-push",
                    "--from-ref", "main", "--to-ref", pushed)
    assert_ran(proc)
    assert proc.returncode == 0
