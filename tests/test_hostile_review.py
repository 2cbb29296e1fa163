"""An attacker's review: each test is one attack a hostile branch (or the agent writing it)
made on guard, run as a user or CI runs guard, that passed silently before its fix."""

from __future__ import annotations

import json
import os

from gitrepo import backend_project, run_guard


def check_json(repo, *args):
    res = run_guard("check", "--format", "json", "--base", "main", *args, cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out), res


def rules_of(data) -> set[str]:
    return {f["rule"] for f in data["findings"]}


# -- the PreToolUse hook: an event guard cannot encode must not let the command through ----
def test_a_lone_surrogate_in_a_bash_command_does_not_crash_the_hook_open(repo):
    # JSON.stringify writes a lone UTF-16 surrogate as `\ud800`; Claude Code's runtime hands
    # bash U+FFFD in its place, so the command still writes the forbidden file. A crash
    # (exit 1) is not a block: the write went through.
    for command in ("echo x > src/components/Button.tsx # \\ud800",
                    "echo \\udfff > src/components/Button.tsx"):
        event = ('{"hook_event_name": "PreToolUse", "tool_name": "Bash", "cwd": "%s", '
                 '"tool_input": {"command": "%s"}}' % (repo.path, command))
        res = run_guard("hook", "claude", cwd=repo.path, input=event)
        assert res.code == 2, res.err
        assert "src/components/Button.tsx" in res.err and "internal error" not in res.err


def test_a_lone_surrogate_in_a_write_path_is_read_as_the_runtime_writes_it(repo):
    event = ('{"hook_event_name": "PreToolUse", "tool_name": "Write", "cwd": "%s", '
             '"tool_input": {"file_path": "src/components/B\\ud800.tsx", "content": "x"}}'
             % repo.path)
    res = run_guard("hook", "claude", cwd=repo.path, input=event)
    assert res.code == 2 and "SCOPE001" in res.err, res.err


# -- migrations: the branch does not choose the migrator whose rules it is held to ---------
DBMATE_A = "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n"


def _sql_project(tmp_path):
    return backend_project(str(tmp_path / "p"), extra={
        "db/migrations/20240101000000_a.sql": DBMATE_A,
        "db/migrations/20240301000000_c.sql": DBMATE_A.replace(" a ", " c ")})


def test_a_makefile_added_on_the_branch_does_not_switch_the_migrator(tmp_path):
    repo = _sql_project(tmp_path)
    repo.commit("feat(db): b", {
        "db/migrations/20240201000000_b.sql": DBMATE_A.replace(" a ", " b "),
        # dbmate applies older pending migrations, so under it MIG003 is no finding
        "Makefile": "migrate:\n\tdbmate up\n"})
    data, _ = check_json(repo, "--only", "migrations")
    assert "MIG003" in rules_of(data), data["findings"]


# -- migrations: a migration committed as a link to SQL elsewhere -------------------------
def test_a_migration_that_is_a_symlink_is_an_error(tmp_path):
    repo = _sql_project(tmp_path)
    repo.write("src/server/sql/d.sql", "-- migrate:up\nDROP TABLE a;\n-- migrate:down\n\n")
    os.symlink("../../src/server/sql/d.sql",
               os.path.join(repo.path, "db/migrations/20240401000000_d.sql"))
    repo.commit("feat(db): d")
    data, res = check_json(repo, "--only", "migrations")
    assert res.code == 1
    [found] = [f for f in data["findings"] if f["rule"] == "MIG015"]
    assert found["path"] == "db/migrations/20240401000000_d.sql"
    assert found["severity"] == "error"


def test_a_migration_folder_replaced_by_a_symlink_is_an_error(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.write("src/server/migs/20240101000000_a.sql", DBMATE_A)
    os.makedirs(os.path.join(repo.path, "db"))
    os.symlink("../src/server/migs", os.path.join(repo.path, "db/migrations"))
    repo.commit("feat(db): a")
    data, _ = check_json(repo, "--only", "migrations")
    assert [f["path"] for f in data["findings"] if f["rule"] == "MIG015"] == ["db/migrations"]


def test_a_submodule_in_a_migration_folder_is_an_error(tmp_path):
    repo = _sql_project(tmp_path)
    sub = backend_project(str(tmp_path / "sub"))
    sha = sub.git("rev-parse", "HEAD")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},db/migrations/vendor")
    repo.git("commit", "-q", "-m", "feat(db): vendor")
    data, _ = check_json(repo, "--only", "migrations")
    assert [f["path"] for f in data["findings"] if f["rule"] == "MIG015"] == \
        ["db/migrations/vendor"]


def test_a_plain_symlink_elsewhere_is_not_a_migration_finding(tmp_path):
    repo = _sql_project(tmp_path)
    os.symlink("app.py", os.path.join(repo.path, "src/server/main.py"))
    os.makedirs(os.path.join(repo.path, "docs"), exist_ok=True)
    os.symlink("../README.md", os.path.join(repo.path, "docs/MIGRATION-GUIDE.md"))
    repo.commit("feat(api): alias")
    data, _ = check_json(repo, "--only", "migrations")
    assert "MIG015" not in rules_of(data)


# -- contract: the branch's app, imported to be tested, cannot end guard with exit 0 -------
def test_an_app_that_exits_when_imported_does_not_end_guard_with_a_pass(tmp_path):
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))
    from contract_fixture import fixture_text, project

    repo = project(tmp_path, "fastapi_good")
    repo.commit("feat(api): quiet", {
        "src/api/app.py": "import os\nos._exit(0)\n" + fixture_text("fastapi_good", "app.py"),
        "src/components/Button.tsx": "export const hijacked = 1\n"})
    res = run_guard("check", "--base", "main", cwd=repo.path)
    # before: exit 0 and nothing printed, the SCOPE001 above lost with the process
    assert res.code == 2, (res.code, res.out, res.err)
    assert "the contract check ended without its result" in res.err
    assert "Traceback" not in res.err and res.err.count("\n") == 1


# -- test evidence: a JUnit file the branch commits is not a test run ----------------------
JUNIT = ('<testsuite name="t" tests="42" failures="0" errors="0">'
         + '<testcase name="a"/>' * 42 + '</testsuite>')


def _junit_project(tmp_path):
    from gitrepo import BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), config=BACKEND_CONFIG +
                           "  tests:\n    junit: tests/server/junit.xml\n")
    repo.commit("feat(api): x", {"src/server/app.py": "app = 2\n",
                                 "tests/server/junit.xml": JUNIT})
    return repo


def test_a_committed_junit_file_is_not_test_evidence_for_the_report(tmp_path):
    repo = _junit_project(tmp_path)
    res = run_guard("report", "--base", "main", "--no-run-tests", "--format", "json",
                    cwd=repo.path)
    assert res.code == 0, res.err
    tests = json.loads(res.out)["tests"]
    # before: "passed, 42 tests" from the agent's own file
    assert tests["status"] == "not run" and tests["tests"] == 0
    res = run_guard("report", "--base", "main", "--no-run-tests", cwd=repo.path)
    assert "is committed on the branch" in res.out


def test_a_committed_junit_file_passed_on_the_command_line_is_exit_2(tmp_path):
    repo = _junit_project(tmp_path)
    res = run_guard("report", "--base", "main", "--no-run-tests", "--tests-junit",
                    "tests/server/junit.xml", cwd=repo.path)
    assert res.code == 2 and "committed in the checked branch" in res.err, res.err


# -- policy: the agent runtime's own folder ---------------------------------------------
def test_editing_a_sub_agent_definition_is_a_policy_change(repo):
    # .claude/agents/<name>.md names the sub-agent (the hook's agent_type picks the role from
    # it) and lists its tools; it was only "unowned" (SCOPE003, a warning at unowned: warning)
    repo.commit("chore: tools", {".claude/agents/engineering-backend.md":
                                 "---\nname: engineering\ntools: Read, Write, Bash\n---\n"})
    data, _ = check_json(repo, "--only", "policy")
    assert ("POLICY001", ".claude/agents/engineering-backend.md") in {
        (f["rule"], f["path"]) for f in data["findings"]}


def test_the_hook_blocks_a_write_to_a_sub_agent_definition_as_policy(repo):
    event = json.dumps({"hook_event_name": "PreToolUse", "tool_name": "Write", "cwd": repo.path,
                        "tool_input": {"file_path": ".claude/commands/ship.md",
                                       "content": "x"}})
    res = run_guard("hook", "claude", cwd=repo.path, input=event)
    assert res.code == 2 and "POLICY001" in res.err, res.err
