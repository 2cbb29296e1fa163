"""Adopting guard in a fresh repository: what `guard init` writes and how the commands that
read it behave (the role comes from the branch, exit codes as documented)."""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from gitrepo import Repo, backend_project, run_guard  # noqa: E402


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
    assert "3. run guard in CI on every pull request" in res.out


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


# --- the contract extra ---------------------------------------------------------------------

BLOCKER = '''\
import sys

class _Blocked:
    """Makes `import {names}` fail as it does where the contract extra is not installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {names!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Blocked())
'''


def _without(tmp_path, *names: str) -> dict:
    """An environment whose Python cannot import `names` (a sitecustomize on PYTHONPATH)."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BLOCKER.format(names=set(names)))
    return {"PYTHONPATH": str(shim)}


def _contract_repo(tmp_path) -> Repo:
    from contract_fixture import CONTRACT, contract_config, fixture_text
    repo = backend_project(str(tmp_path / "p"), config=contract_config(""),
                           extra={CONTRACT: fixture_text("openapi.yaml")})
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    return repo


@pytest.mark.parametrize("blocked, named", [
    (("schemathesis",), "needs schemathesis, which is not installed"),
    (("schemathesis", "openapi_spec_validator"),
     "needs schemathesis and openapi_spec_validator, which are not installed"),
    (("openapi_spec_validator",), "needs openapi_spec_validator, which is not installed"),
])
def test_contract_without_its_extra_is_exit_2(tmp_path, blocked, named):
    repo = _contract_repo(tmp_path)
    env = _without(tmp_path, *blocked)
    probe = subprocess.run([sys.executable, "-c", f"import {blocked[0]}"],
                           env={**os.environ, **env}, capture_output=True, text=True, check=False)
    assert "ModuleNotFoundError" in probe.stderr   # the shim really blocks the import
    res = run_guard("check", "--base", "main", cwd=repo.path, env=env)
    assert res.code == 2, res.out + res.err
    [line] = res.err.strip().splitlines()
    assert named in line and "pip install 'agent-branch-guard[contract]'" in line
    assert "company.config.yaml" in line and "Traceback" not in res.err


def test_contract_without_its_extra_in_a_pre_commit_hook_names_the_hook_fix(tmp_path):
    """In pre-commit's own environment (PRE_COMMIT=1) a pip command cannot help: the line
    names the two fixes in .pre-commit-config.yaml instead."""
    repo = _contract_repo(tmp_path)
    env = {**_without(tmp_path, "schemathesis"), "PRE_COMMIT": "1"}
    res = run_guard("check", "--base", "main", cwd=repo.path, env=env)
    assert res.code == 2, res.out + res.err
    [line] = res.err.strip().splitlines()
    assert "needs schemathesis" in line and "args: [--skip, contract]" in line
    assert "additional_dependencies: ['.[sql,contract]'" in line and "pip install" not in line


def test_fast_hooks_install_the_light_core():
    """The commit-time hooks of .pre-commit-hooks.yaml install the light core (one shared
    environment, no extra); the pre-push guard-check runs the migrations check and so
    declares the `sql` extra (a second environment, built on the first push). Its header
    shows no rev that does not exist (v0.1.0 never did)."""
    import yaml
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), ".pre-commit-hooks.yaml")
    text = open(path, encoding="utf-8").read()
    hooks = {h["id"]: h for h in yaml.safe_load(text)}
    assert set(hooks) == {"guard-scope", "guard-check", "guard-commit-msg"}
    assert not hooks["guard-scope"].get("additional_dependencies")
    assert not hooks["guard-commit-msg"].get("additional_dependencies")
    assert hooks["guard-check"]["additional_dependencies"] == [".[sql]"]
    assert "v0.1.0" not in text


# --- the sql extra ----------------------------------------------------------------------------

SQL_BASE = {
    "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer PRIMARY KEY);\n",
    "db/migrations/0001_users.down.sql": "DROP TABLE users;\n",
}


def _sql_repo(tmp_path, up: str) -> Repo:
    repo = backend_project(str(tmp_path / "p"), extra=SQL_BASE)
    repo.commit("feat(db): a report view", {"db/migrations/0002_view.up.sql": up,
                                            "db/migrations/0002_view.down.sql": "SELECT 1;\n"})
    return repo


# guard's own SQL reader (sqlfast.py) does not read views: this statement goes to sqlglot
NEEDS_SQLGLOT = "-- the weekly report\nCREATE VIEW weekly AS SELECT id FROM users;\n"


def test_sql_statement_without_sqlglot_is_exit_2(tmp_path):
    """Without the sql extra, a statement only sqlglot reads stops guard: exit 2, one line
    naming the migration file and line and the install command, never a pass. sqlglot is
    made unimportable by a meta-path finder in a sitecustomize (_without): that simulates
    the missing install; guard's own code runs unchanged, in its own process."""
    repo = _sql_repo(tmp_path, NEEDS_SQLGLOT)
    env = _without(tmp_path, "sqlglot")
    probe = subprocess.run([sys.executable, "-c", "import sqlglot"],
                           env={**os.environ, **env}, capture_output=True, text=True, check=False)
    assert "ModuleNotFoundError" in probe.stderr   # the shim really blocks the import
    res = run_guard("check", "--base", "main", cwd=repo.path, env=env)
    assert res.code == 2, res.out + res.err
    [line] = res.err.strip().splitlines()
    assert "db/migrations/0002_view.up.sql:2:" in line and "sqlglot is not installed" in line
    assert "pip install 'agent-branch-guard[sql]'" in line and "Traceback" not in res.err
    # with sqlglot the same branch is judged: it passes (a view is no risk)
    res = run_guard("check", "--base", "main", "--only", "migrations", cwd=repo.path)
    assert res.code == 0, res.out + res.err


def test_sql_statement_without_sqlglot_in_a_pre_commit_hook_names_the_hook_fix(tmp_path):
    repo = _sql_repo(tmp_path, NEEDS_SQLGLOT)
    env = {**_without(tmp_path, "sqlglot"), "PRE_COMMIT": "1"}
    res = run_guard("check", "--base", "main", "--only", "migrations", cwd=repo.path, env=env)
    assert res.code == 2, res.out + res.err
    [line] = res.err.strip().splitlines()
    assert "0002_view.up.sql:2:" in line and "additional_dependencies: ['.[sql]']" in line
    assert "pip install" not in line


def test_sql_guard_reads_itself_needs_no_sqlglot(tmp_path):
    """The statements guard's own reader understands need no extra: the check runs and
    finds what it finds (MIG101, a warning, for the DROP TABLE) without sqlglot."""
    repo = _sql_repo(tmp_path, "ALTER TABLE users ADD COLUMN email text;\nDROP TABLE users;\n")
    env = _without(tmp_path, "sqlglot")
    res = run_guard("check", "--base", "main", "--only", "migrations", "--format", "json",
                    cwd=repo.path, env=env)
    assert res.code == 0, res.out + res.err
    import json
    assert [f["rule"] for f in json.loads(res.out)["findings"]] == ["MIG101"]


def test_contract_extra_missing_but_skipped_or_unconfigured_passes(tmp_path):
    env = _without(tmp_path, "schemathesis", "openapi_spec_validator")
    repo = _contract_repo(tmp_path)
    res = run_guard("check", "--base", "main", "--skip", "contract", cwd=repo.path, env=env)
    assert res.code == 0, res.out + res.err
    plain = backend_project(str(tmp_path / "plain"))
    plain.commit("feat(api): y", {"src/api/y.py": "y = 1\n"})
    res = run_guard("check", "--base", "main", cwd=plain.path, env=env)
    assert res.code == 0, res.out + res.err     # CONTRACT001 (info): nothing configured


def test_contract_with_its_extra_runs(tmp_path):
    repo = _contract_repo(tmp_path)
    res = run_guard("check", "--base", "main", "--only", "contract", cwd=repo.path)
    assert res.code == 0, res.out + res.err


# --- pre-push after a rebase and force push -------------------------------------------------

def test_pre_push_range_after_rebase_and_force_push(repo):
    """FROM_REF (the remote's old tip) is not an ancestor of the rebased head: the range is
    the branch's own commits on top of main, not the base branch's commits it took in."""
    repo.commit("feat(api): first", {"src/api/x.py": "x = 1\n"})
    old_tip = repo.git("rev-parse", "HEAD").strip()
    repo.checkout("main")
    repo.commit("ci: main's own workflow change", {".github/workflows/ci.yml": "name: ci2\n"})
    repo.checkout("agent/backend/task")
    repo.git("rebase", "main")
    new_tip = repo.git("rev-parse", "HEAD").strip()
    env = {"PRE_COMMIT_FROM_REF": old_tip, "PRE_COMMIT_TO_REF": new_tip,
           "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/agent/backend/task"}
    res = run_guard("check", "--format", "json", "--skip", "contract", cwd=repo.path, env=env)
    assert res.code == 0, res.out + res.err
    import json
    data = json.loads(res.out)
    assert not data["findings"] or all(f["path"] != ".github/workflows/ci.yml"
                                       for f in data["findings"])
    # a plain (fast-forward) push still checks FROM..TO only
    repo.commit("feat(api): second", {"src/api/y.py": "y = 1\n"})
    env = {"PRE_COMMIT_FROM_REF": new_tip,
           "PRE_COMMIT_TO_REF": repo.git("rev-parse", "HEAD").strip()}
    res = run_guard("check", "--format", "json", "--skip", "contract", cwd=repo.path, env=env)
    assert res.code == 0, res.out + res.err
    commits = json.loads(res.out).get("commits", [])
    assert [c.get("subject", c.get("header")) for c in commits] in ([], ["feat(api): second"])


def test_unpushed_policy_on_main_is_named(tmp_path):
    """A person commits a policy change on main, does not push, and starts an agent branch:
    guard reads origin/main (as it must) and the POLICY001 comes with a notice saying the
    local main is ahead and to push it; once pushed, the branch passes."""
    origin = Repo.init(str(tmp_path / "origin.git"))
    origin.git("config", "--bool", "core.bare", "true")
    repo = Repo.init(str(tmp_path / "team"))
    repo.commit("chore: start", {"README.md": "# team\n", "src/api/orders.py": "x = 1\n"})
    assert run_guard("init", cwd=repo.path).code == 0
    repo.commit("chore: add guard policy")
    repo.git("remote", "add", "origin", origin.path)
    repo.git("push", "-q", "-u", "origin", "main")
    repo.git("remote", "set-head", "origin", "main")
    with open(os.path.join(repo.path, "company.config.yaml"), "a", encoding="utf-8") as fh:
        fh.write("# reviewed\n")
    repo.commit("chore: adjust the guard policy")          # not pushed
    repo.branch("agent/backend/orders")
    repo.commit("feat(api): orders", {"src/api/orders.py": "x = 2\n"})
    res = run_guard("check", "--skip", "contract", cwd=repo.path)
    assert res.code == 1 and "POLICY001" in res.out, res.out + res.err
    assert "your local main has commits origin/main lacks" in res.err
    assert "git push origin main" in res.err
    repo.git("push", "-q", "origin", "main")
    res = run_guard("check", "--skip", "contract", cwd=repo.path)
    assert res.code == 0 and "notice" not in res.err, res.out + res.err


def test_stop_hook_without_sqlglot_holds_the_stop_and_names_the_install(tmp_path):
    """The Claude Code Stop hook on the same branch, sqlglot missing: the stop is held (exit
    2) with the file, line and install line, and the next step is not the one for a moved
    base ("put the branch back on the base")."""
    import json
    repo = _sql_repo(tmp_path, NEEDS_SQLGLOT)
    event = json.dumps({"hook_event_name": "Stop", "cwd": repo.path, "stop_hook_active": False})
    res = run_guard("hook", "claude", cwd=repo.path, input=event,
                    env=_without(tmp_path, "sqlglot"))
    assert res.code == 2, res.out + res.err
    assert "could not be checked" in res.err and "0002_view.up.sql:2" in res.err
    assert "pip install 'agent-branch-guard[sql]'" in res.err
    assert "Put the branch back" not in res.err and "stop and report it" in res.err
