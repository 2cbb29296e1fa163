"""The README's pre-commit set-up, as a team uses it: real `pre-commit install`, real `git
commit` and `git push`, guard fetched by pre-commit from a clone of this repository's
committed HEAD (a file URL, the commit SHA as `rev`).

The hook environments are built from the package index into a PRE_COMMIT_HOME of the
session: one for the two commit-time hooks, the light core, and one for the pre-push
guard-check, the core with the `sql` extra its hook definition declares (the README's set-up
skips the contract check there).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from gitrepo import Repo, git_env, run_guard

GUARD_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def documented_config(doc: str) -> str:
    """The first `# .pre-commit-config.yaml` block of a docs file, exactly as written."""
    with open(os.path.join(GUARD_ROOT, doc), encoding="utf-8") as fh:
        text = fh.read()
    blocks = re.findall(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", text, re.S)
    assert blocks, f"{doc} has no ```yaml block starting with # .pre-commit-config.yaml"
    return blocks[0]


@pytest.fixture(scope="session")
def guard_url(tmp_path_factory) -> tuple[str, str]:
    """A clone of this repository's committed HEAD, as file URL and commit SHA."""
    env = git_env()
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=GUARD_ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    clone = str(tmp_path_factory.mktemp("guard-remote") / "guard.git")
    subprocess.run(["git", "clone", "-q", "--bare", "--no-local", GUARD_ROOT, clone], env=env,
                   check=True)
    return "file://" + clone, sha


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory) -> dict[str, str]:
    env = git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    bindir = os.path.dirname(sys.executable)        # pre-commit and guard of the test venv
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def run(repo: Repo, env: dict, *cmd: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(cmd), cwd=repo.path, env=env, capture_output=True, text=True,
                          check=False)
    # git runs hooks with their stdout on stderr: the two together, as a terminal shows them
    proc.stdout += proc.stderr
    print(f"$ {' '.join(cmd)} -> {proc.returncode}\n{proc.stdout}")
    return proc


def team_repo(tmp_path, guard_url, hook_env) -> tuple[Repo, Repo]:
    """main with the `guard init` policy and the README's hooks installed, pushed to a bare
    remote; returns (work repository, remote)."""
    url, sha = guard_url
    remote = Repo.init(str(tmp_path / "remote.git"))
    remote.git("config", "--bool", "core.bare", "true")
    repo = Repo.init(str(tmp_path / "team"))
    repo.git("config", "--unset", "core.hooksPath")   # pre-commit refuses to install with it
    repo.commit("chore: start", {"README.md": "# team\n", "src/server/app.py": "app = 1\n",
                                 "src/components/Card.tsx": "export {}\n"})
    res = run_guard("init", cwd=repo.path)
    assert res.code == 0, res.err
    repo.commit("chore: add guard policy")
    config = documented_config("README.md")
    config = config.replace("https://github.com/OWNER/guard", url).replace("COMMIT_SHA", sha)
    # the integrations page documents the same set-up
    other = documented_config("docs/integrations.md")
    other = other.replace("https://github.com/OWNER/guard", url).replace("COMMIT_SHA", sha)
    assert yaml.safe_load(other) == yaml.safe_load(config)
    repo.write(".pre-commit-config.yaml", config)
    proc = run(repo, hook_env, "pre-commit", "install")
    assert proc.returncode == 0
    for hook in ("pre-commit", "commit-msg", "pre-push"):
        assert os.path.exists(os.path.join(repo.path, ".git", "hooks", hook)), hook
    # a human on main commits the hook set-up through the hooks themselves
    repo.git("add", ".pre-commit-config.yaml")
    proc = run(repo, hook_env, "git", "commit", "-q", "-m", "chore: run guard in pre-commit")
    assert proc.returncode == 0
    repo.git("remote", "add", "origin", remote.path)
    proc = run(repo, hook_env, "git", "push", "-q", "-u", "origin", "main")
    assert proc.returncode == 0
    return repo, remote


@pytest.mark.slow
def test_documented_hooks_on_commit_and_push(tmp_path, guard_url, hook_env):
    repo, _ = team_repo(tmp_path, guard_url, hook_env)
    repo.branch("agent/backend/orders")
    # a good commit passes all three hooks' stages it meets
    repo.write("src/server/orders.py", "ORDERS = []\n")
    repo.git("add", "-A")
    proc = run(repo, hook_env, "git", "commit", "-m", "feat(api): list orders")
    assert proc.returncode == 0
    assert "guard scope" in proc.stdout and "Passed" in proc.stdout
    # a file outside the backend role's scope is blocked before the commit exists
    head = repo.git("rev-parse", "HEAD")
    repo.write("src/components/Card.tsx", "export const Card = 1\n")
    repo.git("add", "-A")
    proc = run(repo, hook_env, "git", "commit", "-m", "feat(api): touch the card")
    assert proc.returncode != 0
    assert "SCOPE001" in proc.stdout and "src/components/Card.tsx" in proc.stdout
    assert repo.git("rev-parse", "HEAD") == head
    repo.git("reset", "-q", "--hard")
    # a bad message is blocked by the commit-msg hook
    repo.write("src/server/orders.py", "ORDERS = [1]\n")
    repo.git("add", "-A")
    proc = run(repo, hook_env, "git", "commit", "-m", "wip stuff")
    assert proc.returncode != 0
    assert "COMMIT" in proc.stdout
    assert repo.git("rev-parse", "HEAD") == head
    proc = run(repo, hook_env, "git", "commit", "-m", "feat(api): one order")
    assert proc.returncode == 0
    # a migration guard's own SQL reader leaves to sqlglot (a view)
    repo.write("db/migrations/0001_report.up.sql",
               "-- the weekly report\nCREATE VIEW weekly AS SELECT 1 AS n;\n")
    repo.write("db/migrations/0001_report.down.sql", "DROP VIEW weekly;\n")
    repo.git("add", "-A")
    assert run(repo, hook_env, "git", "commit", "-m", "feat(db): the weekly report view"
               ).returncode == 0
    # the push runs guard-check on the pushed range, in its own environment with the sql
    # extra (sqlglot reads the view); the commit-time hooks' environment stays the light core
    proc = run(repo, hook_env, "git", "push", "-u", "origin", "agent/backend/orders")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "guard check" in proc.stdout and "Passed" in proc.stdout
    home = hook_env["PRE_COMMIT_HOME"]
    envs = [os.path.join(home, d, e) for d in os.listdir(home)
            if os.path.isdir(os.path.join(home, d))
            for e in os.listdir(os.path.join(home, d)) if e.startswith("py_env-")]
    assert len(envs) == 2, envs
    found = {}
    for env_dir in envs:
        out = subprocess.run([os.path.join(env_dir, "bin", "python"), "-c",
                              "import importlib.util as u\n"
                              "print([u.find_spec(m) is not None for m in "
                              "('sqlglot', 'schemathesis', 'hypothesis')])"],
                             capture_output=True, text=True, check=True).stdout.strip()
        found[env_dir] = out
    assert sorted(found.values()) == ["[False, False, False]", "[True, False, False]"], found
    # the light core's own guard (a real install without sqlglot) on the same range: the
    # view's statement stops it with exit 2 and the install line, never a pass
    core = next(d for d, out in found.items() if out.startswith("[False"))
    proc = subprocess.run([os.path.join(core, "bin", "guard"), "check", "--base", "main",
                           "--only", "migrations"], cwd=repo.path, env=git_env(),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "db/migrations/0001_report.up.sql:2:" in line
    assert "pip install 'agent-branch-guard[sql]'" in line
    # main moves on: a frontend file and a policy edit, both out of the backend's scope
    repo.checkout("main")
    with open(os.path.join(repo.path, "company.config.yaml"), "a", encoding="utf-8") as fh:
        fh.write("# reviewed by the team\n")
    repo.write("src/components/Header.tsx", "export {}\n")
    repo.git("add", "-A")
    proc = run(repo, hook_env, "git", "commit", "-m", "feat(ui): add the header")
    assert proc.returncode == 0
    assert run(repo, hook_env, "git", "push", "origin", "main").returncode == 0
    # the agent rebases onto the new main, adds a commit and force-pushes: only its own
    # commits are checked, nothing that came from main
    repo.checkout("agent/backend/orders")
    assert run(repo, hook_env, "git", "rebase", "-q", "main").returncode == 0
    repo.write("src/server/orders.py", "ORDERS = [1, 2]\n")
    repo.git("add", "-A")
    assert run(repo, hook_env, "git", "commit", "-m", "feat(api): two orders").returncode == 0
    proc = run(repo, hook_env, "git", "push", "--force-with-lease", "origin",
               "agent/backend/orders")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SCOPE001" not in proc.stdout and "POLICY001" not in proc.stdout
    assert "Header.tsx" not in proc.stdout and "company.config.yaml" not in proc.stdout


@pytest.mark.slow
def test_human_on_main_commits_policy_and_pushes(tmp_path, guard_url, hook_env):
    """On main (no agent role) the documented hooks let a person commit the policy files
    and push main: they run with --if-no-role skip, as the docs say."""
    repo, remote = team_repo(tmp_path, guard_url, hook_env)
    with open(os.path.join(repo.path, "company.config.yaml"), "a", encoding="utf-8") as fh:
        fh.write("# owners agreed\n")
    with open(os.path.join(repo.path, ".pre-commit-config.yaml"), "a", encoding="utf-8") as fh:
        fh.write("# reviewed\n")
    repo.git("add", "-A")
    proc = run(repo, hook_env, "git", "commit", "-m", "chore: adjust the guard policy")
    assert proc.returncode == 0
    assert "POLICY001" not in proc.stdout
    assert "guard scope" in proc.stdout and "Failed" not in proc.stdout
    proc = run(repo, hook_env, "git", "push", "origin", "main")
    assert proc.returncode == 0
    assert remote.git("rev-parse", "main") == repo.git("rev-parse", "main")
    with open(os.path.join(GUARD_ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as fh:
        hooks = {h["id"]: h for h in yaml.safe_load(fh)}
    for hook_id in ("guard-scope", "guard-check"):
        assert "--if-no-role skip" in hooks[hook_id]["entry"]
    with open(os.path.join(GUARD_ROOT, "docs", "integrations.md"), encoding="utf-8") as fh:
        assert "--if-no-role skip" in fh.read()


def test_check_on_the_base_branch_itself_skips_with_if_no_role_skip(repo):
    """What the pre-push hook runs when a person pushes main for the first time (pre-commit
    sets no FROM_REF for a new branch): a notice and exit 0, not an error that blocks the
    push; without the option it stays an error."""
    repo.checkout("main")
    res = run_guard("check", "--if-no-role", "skip", cwd=repo.path)
    assert res.code == 0, res.err
    assert "guard: notice: nothing checked" in res.err and "is the base itself" in res.err
    res = run_guard("check", cwd=repo.path)
    assert res.code == 2 and "is the base itself" in res.err


@pytest.mark.slow
def test_documented_git_file_url_installs(tmp_path, guard_url):
    """docs/integrations.md's install line for a clone on disk, as written (pip 23 refuses
    `git+file:///path`; `git+file://localhost/path` installs)."""
    with open(os.path.join(GUARD_ROOT, "docs", "integrations.md"), encoding="utf-8") as fh:
        line = re.search(r"`'(agent-branch-guard @ git\+file://localhost/path/to/guard)'`",
                         fh.read())
    assert line, "the docs lost the file-URL install line"
    url, _ = guard_url
    requirement = line.group(1).replace("/path/to/guard", url[len("file://"):])
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--disable-pip-version-check", "--target", str(target),
                           requirement], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (target / "guard" / "cli.py").exists()
    assert (target / "guard" / "rules" / "backend.yaml").exists()
