"""Next steps an agent can follow literally (issue 16): each hint that names an action is
applied as written on a real repository, then guard runs again: the finding is gone and no
new error appeared. The simulated agent of benchmarks/agent_loop.py applies the steps, so
the test and the benchmark read the hints the same way."""

import json
import os
import re
import sys

import pytest

from gitrepo import backend_project, run_guard

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import agent_loop  # noqa: E402


def guard_json(repo, only):
    res = run_guard("check", "--format", "json", "--base", "main", "--only", only,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)["findings"]


def guard_agent(repo, only):
    res = run_guard("check", "--format", "agent", "--base", "main", "--only", only,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return res.out


def errors(findings):
    return {(f["rule"], f["path"] or f.get("data", {}).get("header")) for f in findings
            if f["severity"] == "error"}


def follow(repo, only, rule):
    """One loop turn: the agent output's steps applied by the simulated agent; returns the
    findings before and after."""
    before = guard_json(repo, only)
    assert any(f["rule"] == rule for f in before), before
    agent = agent_loop.Agent(repo.path)
    agent.follow(guard_agent(repo, only))
    assert not agent.unhandled, agent.unhandled
    after = guard_json(repo, only)
    return before, after, agent


def assert_fixed(before, after, rule):
    assert not any(f["rule"] == rule for f in after), after
    new = errors(after) - errors(before)
    assert not new, f"following the steps raised new errors: {new}"


@pytest.fixture
def repo(tmp_path):
    return backend_project(str(tmp_path / "project"))


# -- scope and commits --------------------------------------------------------------------
def test_scope001_drop_the_commit_that_only_makes_the_change(repo):
    repo.commit("feat(api): orders", {"src/api/orders.py": "x = 1\n"})
    repo.commit("fix(ui): align the button", {"src/components/Button.tsx": "changed\n"})
    before = guard_json(repo, "scope,commits")
    hint = next(f["hint"] for f in before if f["rule"] == "SCOPE001")
    assert "by dropping commit" in hint and "Riley (Frontend Engineer)" in hint
    before, after, _ = follow(repo, "scope,commits", "SCOPE001")
    assert_fixed(before, after, "SCOPE001")
    assert repo.git("log", "--format=%s", "main..HEAD") == "feat(api): orders"


def test_scope001_and_commit011_agree_on_a_mixed_commit(repo):
    # one commit changes an owned file and another role's file: SCOPE001 and COMMIT011
    # both say "take that file's change out of this commit", not "split it" then "revert"
    repo.commit("feat(api): orders and a button", {"src/api/orders.py": "x = 1\n",
                                                   "src/components/Button.tsx": "changed\n"})
    before = guard_json(repo, "scope,commits")
    by_rule = {f["rule"]: f for f in before}
    assert "git checkout HEAD^ -- src/components/Button.tsx" in by_rule["SCOPE001"]["hint"]
    assert "src/components/Button.tsx is another role's file (SCOPE001)" in \
        by_rule["COMMIT011"]["hint"]
    assert "split it into one commit per concern" not in by_rule["COMMIT011"]["hint"]
    # the literal step: edit the commit (it is HEAD here), take the file's change out
    repo.git("checkout", "HEAD^", "--", "src/components/Button.tsx")
    repo.git("commit", "-q", "--amend", "--no-edit")
    after = guard_json(repo, "scope,commits")
    assert_fixed(before, after, "SCOPE001")
    assert_fixed(before, after, "COMMIT011")


def test_commit011_on_a_rename_out_of_another_roles_folder(repo):
    repo.commit("refactor(server): move the nginx config", {})
    repo.git("mv", "deploy/nginx.conf", "src/server/nginx.conf")
    repo.commit("refactor(server): keep the nginx config next to the server")
    before = guard_json(repo, "scope,commits")
    c011 = next(f for f in before if f["rule"] == "COMMIT011")
    assert "drop it" in c011["hint"] and "SCOPE001" in c011["hint"]
    before, after, _ = follow(repo, "scope,commits", "COMMIT011")
    assert_fixed(before, after, "COMMIT011")
    assert_fixed(before, after, "SCOPE001")


def test_commit007_wrap_at_the_limit_the_message_names(repo):
    long = "word " * 25            # 125 characters
    repo.commit(f"feat(api): orders\n\n{long.strip()}", {"src/api/orders.py": "x = 1\n"})
    before = guard_json(repo, "commits")
    f = next(f for f in before if f["rule"] == "COMMIT007")
    limit = re.search(r"\(limit (\d+)\)", f["message"]).group(1)
    assert re.findall(r"\d+", f["hint"]) == [limit]       # one limit, the configured one
    before, after, _ = follow(repo, "commits", "COMMIT007")
    assert_fixed(before, after, "COMMIT007")


def test_commit007_configured_limit_in_message_and_hint(tmp_path):
    from gitrepo import BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"),
                           BACKEND_CONFIG + "  commits:\n    body_max: 60\n")
    repo.commit("feat(api): orders\n\n" + "x" * 65, {"src/api/orders.py": "x = 1\n"})
    f = next(f for f in guard_json(repo, "commits") if f["rule"] == "COMMIT007")
    assert "(limit 60)" in f["message"] and "over 60 characters" in f["hint"]
    assert "72" not in f["hint"]


def test_commit001_use_the_header_the_hint_proposes(repo):
    repo.commit("Added the orders endpoint", {"src/api/orders.py": "x = 1\n"})
    before = guard_json(repo, "commits")
    f = next(f for f in before if f["rule"] == "COMMIT001")
    proposed = re.search(r"`([^`]+)`", f["hint"]).group(1)
    repo.git("commit", "-q", "--amend", "-m", proposed)
    after = guard_json(repo, "commits")
    assert_fixed(before, after, "COMMIT001")
    assert not [g for g in after if g["check"] == "commits"], after


def test_commit008_squash_into_the_commit_it_continues(repo):
    repo.commit("feat(api): orders", {"src/api/orders.py": "x = 1\n"})
    repo.commit("WIP orders paging", {"src/api/orders.py": "x = 2\n"})
    before, after, agent = follow(repo, "commits", "COMMIT008")
    assert_fixed(before, after, "COMMIT008")


def test_policy001_revert_the_policy_edit(repo):
    repo.commit("chore: own the components", {
        "company.config.yaml": repo.git("show", "main:company.config.yaml") +
        "\n# more\n"})
    before = guard_json(repo, "policy,scope,commits")
    f = next(f for f in before if f["rule"] == "POLICY001")
    assert f["hint"].startswith("revert company.config.yaml")
    repo.git("checkout", "main", "--", "company.config.yaml")
    repo.commit("chore: restore company.config.yaml from main")
    after = guard_json(repo, "policy,scope,commits")
    assert_fixed(before, after, "POLICY001")


# -- migrations ---------------------------------------------------------------------------
def _mig_project(tmp_path):
    return backend_project(str(tmp_path / "project"), extra={
        "db/migrations/0001_init.up.sql":
            "CREATE TABLE orders (id integer PRIMARY KEY);\n"
            "CREATE TABLE carts (id integer PRIMARY KEY);\n",
        "db/migrations/0001_init.down.sql": "DROP TABLE carts;\nDROP TABLE orders;\n"})


def test_mig101_take_the_drop_out_no_rename_proposed(tmp_path):
    repo = _mig_project(tmp_path)
    repo.commit("feat(db): paid_at, drop carts", {
        "db/migrations/0002_paid.up.sql":
            "ALTER TABLE orders ADD COLUMN paid_at timestamp;\nDROP TABLE carts;\n",
        "db/migrations/0002_paid.down.sql":
            "CREATE TABLE carts (id integer PRIMARY KEY);\n"
            "ALTER TABLE orders DROP COLUMN paid_at;\n"})
    before = guard_json(repo, "migrations")
    f = next(f for f in before if f["rule"] == "MIG101")
    assert "rename" not in f["hint"]          # a rename is MIG107's finding
    before, after, _ = follow(repo, "migrations", "MIG101")
    assert_fixed(before, after, "MIG101")
    assert not [g for g in after if g["rule"].startswith("MIG")], after


def test_mig001_restore_and_add_a_new_migration(tmp_path):
    repo = _mig_project(tmp_path)
    repo.commit("feat(db): order status", {
        "db/migrations/0001_init.up.sql":
            "CREATE TABLE orders (id integer PRIMARY KEY, status text);\n"
            "CREATE TABLE carts (id integer PRIMARY KEY);\n"})
    before = guard_json(repo, "migrations")
    f = next(f for f in before if f["rule"] == "MIG001")
    path = re.search(r"restore (\S+) from the base", f["hint"]).group(1)
    repo.git("checkout", "main", "--", path)
    repo.commit("feat(db): order status in a new migration", {
        "db/migrations/0002_status.up.sql": "ALTER TABLE orders ADD COLUMN status text;\n",
        "db/migrations/0002_status.down.sql": "ALTER TABLE orders DROP COLUMN status;\n"})
    after = guard_json(repo, "migrations")
    assert_fixed(before, after, "MIG001")


# -- conventions: the next step held to the role --------------------------------------
def test_conv001_follow_the_port_fix_announces_the_shared_file(repo):
    repo.commit("feat(server): start the server", {
        "src/server/main.py": "import uvicorn\n\n\ndef main():\n"
                              "    uvicorn.run('src.server.app:app', port=8000)\n",
        "tests/server/test_main.py": "def test():\n    pass\n"})
    before = guard_json(repo, "scope,conventions")
    f = next(f for f in before if f["rule"] == "CONV001")
    assert ".env.example is a shared boundary for the Backend Engineer" in f["hint"]
    assert "SCOPE002" in f["hint"] and "Staff Engineer" in f["hint"]
    before, after, _ = follow(repo, "scope,conventions", "CONV001")
    assert_fixed(before, after, "CONV001")
    # what the hint announced, and nothing worse
    assert ("SCOPE002", ".env.example") in {(g["rule"], g["path"]) for g in after}


def test_conv001_fix_in_a_forbidden_file_says_whom_to_ask(tmp_path):
    from gitrepo import BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), BACKEND_CONFIG +
                           "  conventions:\n    env_example: deploy/.env.example\n")
    repo.commit("feat(server): start the server", {
        "src/server/main.py": "import uvicorn\n\n\ndef main():\n"
                              "    uvicorn.run('src.server.app:app', port=8000)\n"})
    f = next(f for f in guard_json(repo, "conventions") if f["rule"] == "CONV001")
    assert "deploy/.env.example is on the do-not-touch list for the Backend Engineer" in \
        f["hint"]
    assert "ask the Staff Engineer to route that part to its owner" in f["hint"]


def test_no_rule_hint_proposes_what_another_rule_flags():
    """The rule table's own fixes: none proposes a rename (MIG107/MIG108 flag renames) or
    a wrap width other than the configured limit."""
    from guard.registry import RULES
    by_id = {r.id: r for r in RULES}
    for rule_id in ("MIG101", "MIG102", "MIG103"):
        assert "rename" not in by_id[rule_id].right, rule_id
    # a backfill is an UPDATE: without a WHERE it is MIG106's finding
    for rule in RULES:
        if "backfill" in rule.right and rule.id != "MIG106":
            assert "WHERE" in rule.right, rule.id
    assert "72" not in by_id["COMMIT007"].right


# -- the demo, end to end -------------------------------------------------------------
@pytest.mark.slow
def test_demo_loop_passes_honestly():
    result = agent_loop.trial(4)
    assert result["passed"], result["last_output"]
    assert result["runs"] == 2, result["outputs"]
    assert result["honest"] == [] and result["unhandled"] == []
    # every warning left is one the agent cannot fix in code, and was announced
    assert set(result["warnings_left"]) <= {"SCOPE002"}, result["last_output"]


def test_conv010_fix_names_the_files_it_would_touch_outside_the_role(repo):
    repo.commit("chore(server): local settings", {".env": "API_PORT=8000\n",
                                                   "tests/server/test_x.py": "x = 1\n"})
    f = next(f for f in guard_json(repo, "conventions") if f["rule"] == "CONV010")
    assert ".env.example is a shared boundary for the Backend Engineer" in f["hint"]
    assert ".gitignore is outside the paths the Backend Engineer may change (SCOPE003)" in \
        f["hint"]


def test_check_status_follows_the_decided_findings(tmp_path):
    """A related (rewritten) or re-levelled finding still counts for its check's status."""
    from gitrepo import BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), BACKEND_CONFIG +
                           "  severity:\n    SCOPE002: {level: error, reason: announce it}\n")
    repo.commit("feat(types): order status", {"src/types/order.ts": "export type O = 1\n"})
    repo.commit("fix(ui): button", {"src/components/Button.tsx": "changed\n"})
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "scope",
                    cwd=repo.path)
    data = json.loads(res.out)
    assert res.code == 1
    assert {f["rule"]: f["severity"] for f in data["findings"]} == {"SCOPE001": "error",
                                                                    "SCOPE002": "error"}
    assert "by dropping commit" in next(f["hint"] for f in data["findings"]
                                        if f["rule"] == "SCOPE001")
    assert {c["name"]: c["status"] for c in data["checks"]}["scope"] == "failed"


def test_warning_relevelled_to_error_fails_its_check(tmp_path):
    from gitrepo import BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), BACKEND_CONFIG +
                           "  severity:\n    SCOPE002: {level: error, reason: announce it}\n")
    repo.commit("feat(types): order status", {"src/types/order.ts": "export type O = 1\n"})
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "scope",
                    cwd=repo.path)
    assert res.code == 1
    assert {c["name"]: c["status"] for c in json.loads(res.out)["checks"]}["scope"] == "failed"


def test_one_commit_branch_reuses_the_diff_for_commit_aware_hints(repo, tmp_path):
    # one commit on top of the base: its diff is the range's, so the scope check's
    # commit-aware hints come without a second `git log --name-only` (issue 17)
    repo.commit("feat(api): orders and a button", {"src/api/orders.py": "x = 1\n",
                                                   "src/components/Button.tsx": "changed\n"})
    trace = tmp_path / "trace.txt"
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "scope",
                    cwd=repo.path, env={"GIT_TRACE": str(trace)})
    assert res.code == 1, res.err
    hint = next(f["hint"] for f in json.loads(res.out)["findings"] if f["rule"] == "SCOPE001")
    assert "by taking its change out of commit" in hint, hint
    assert "git checkout HEAD^ -- src/components/Button.tsx" in hint
    assert not [line for line in trace.read_text().splitlines()
                if " git log " in line and "--name-only" in line]


# -- staged mode (the pre-commit path): the next step is about the index ---------------
def _staged(repo):
    res = run_guard("check", "--staged", "--format", "json", "--only", "scope", cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)["findings"]


def _do_staged_step(repo, hint):
    """The step as written: every `(git ...)` command in order, then every `delete P`."""
    import shlex
    for command in re.findall(r"\((git [^)]+)\)", hint):
        repo.git(*shlex.split(command)[1:])
    for path in re.findall(r"delete (\S+?)(?: from the working tree|[;,)]|$)", hint):
        os.remove(os.path.join(repo.path, path))


@pytest.mark.parametrize("change", ["modified", "added", "deleted", "renamed away",
                                    "renamed into"])
def test_scope001_staged_hint_unstages_and_restores_the_file(repo, change):
    path = {"modified": "src/components/Button.tsx", "added": "src/components/New.tsx",
            "deleted": "deploy/nginx.conf", "renamed away": ".github/workflows/ci.yml",
            "renamed into": "src/components/app.py"}[change]
    if change == "modified":
        repo.write(path, "changed\n")
    elif change == "added":
        repo.write(path, "export const n = 1\n")
    elif change == "deleted":
        os.remove(os.path.join(repo.path, path))
    elif change == "renamed away":
        repo.git("mv", path, "src/server/ci.yml")
    else:
        repo.git("mv", "src/server/app.py", path)
    repo.write("src/server/routes.py", "routes = []\n")       # owned work, staged too
    repo.git("add", "-A")
    before = _staged(repo)
    f = next(f for f in before if f["rule"] == "SCOPE001" and f["path"] == path)
    hint = f["hint"]
    assert "git restore --staged -- " in hint and "commit" not in hint.split(";")[0] \
        .replace("from the commit", ""), hint
    assert "ask the Staff Engineer to route the change to its owner" in hint
    _do_staged_step(repo, hint)
    after = _staged(repo)
    assert not [g for g in after if g["rule"].startswith("SCOPE")], after
    # the working tree holds the base's file again, and the owned work is still staged
    status = repo.git("status", "--porcelain", "--untracked-files=all")
    assert status.splitlines() == ["A  src/server/routes.py"], status


def test_scope004_staged_hint_unstages_and_keeps_the_widen_option(tmp_path):
    from gitrepo import BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), BACKEND_CONFIG + "  scope:\n"
                           "    allowed: [src/server/routes.py]\n")
    repo.write("src/server/app.py", "app = 1\n")
    repo.write("src/server/routes.py", "routes = []\n")
    repo.git("add", "-A")
    f = next(f for f in _staged(repo) if f["rule"] == "SCOPE004")
    assert f["hint"].startswith("revert src/server/app.py: unstage it (git restore --staged "
                                "-- src/server/app.py)"), f["hint"]
    assert f["hint"].endswith("or ask the Staff Engineer to widen the task's file scope")
    _do_staged_step(repo, f["hint"])
    assert not _staged(repo)
    assert repo.git("status", "--porcelain") == "A  src/server/routes.py"


def test_range_mode_hints_do_not_talk_about_the_index(repo):
    repo.commit("fix(ui): button", {"src/components/Button.tsx": "changed\n"})
    f = next(f for f in guard_json(repo, "scope") if f["rule"] == "SCOPE001")
    assert "git restore --staged" not in f["hint"] and "by dropping commit" in f["hint"]
