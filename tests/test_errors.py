"""Bad input gets one clear line on stderr, exit code 2, and never a traceback."""

import os
import subprocess

import pytest

from gitrepo import Repo, backend_project, run_guard

from guard.errors import GuardError


def assert_clean_error(res, *needles):
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1, res.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("config, needles", [
    ("guard:\n  role: backend\n  owned: [src/a/\n", ["company.config.yaml:", "malformed YAML"]),
    ("guard:\n  role: backend\n  ownd: [src/x/]\n",
     ["company.config.yaml:3:", "unknown key 'ownd'", "did you mean 'owned'"]),
    ("guard:\n  role: backend\n  unowned: warn\n",
     ["company.config.yaml:3:", "did you mean 'warning'"]),
    ("guard:\n  role: [backend]\n", ["company.config.yaml:2:", "guard.role must be a string"]),
    ("guard:\n  role: backend\n  forbidden:\n    - paths: ['../outside/']\n",
     ["company.config.yaml:4:", "'..'"]),
    ("guard:\n  role: backend\n  shared: ['!']\n", ["company.config.yaml:3:", "bad pattern"]),
    ("guard:\n  role: backend\n  severity:\n    SCOPE002: {level: error}\n",
     ["company.config.yaml:", "has no reason"]),
    ("guard:\n  role: backend\n  severity:\n    SCOPE02: {level: error, reason: x}\n",
     ["company.config.yaml:4:", "unknown rule 'SCOPE02'", "did you mean"]),
    ("guard:\n  role: backnd\n", ["unknown role 'backnd'", "did you mean 'backend'"]),
    ("guard:\n  role: backend\n  branch_pattern: '(unclosed'\n",
     ["company.config.yaml:3:", "regular expression"]),
    ("- just\n- a list\n", ["company.config.yaml:1:", "mapping"]),
    ("guard:\n  role: backend\n  role: frontend\n", ["company.config.yaml:3:", "duplicate key"]),
    ("guard:\n  role: backend\n  tests:\n    command: \"pytest -k 'orders\"\n",
     ["company.config.yaml:4:", "guard.tests.command cannot be split", "No closing quotation"]),
    ("guard:\n  role: backend\n  tests:\n    command: ''\n",
     ["company.config.yaml:4:", "guard.tests.command is empty"]),
    ("guard:\n  role: backend\n  tests: {command: pytest, timeout: 0}\n",
     ["company.config.yaml:3:", "guard.tests.timeout is 0; it must be at least 1"]),
    ("guard:\n  role: backend\n  migrations:\n    commands:\n      up: \"alembic 'upgrade\"\n",
     ["company.config.yaml:5:", "cannot be split into words", "No closing quotation"]),
    ("guard:\n  role: backend\n  forbidden:\n    - {paths: [src/api/legacy/], owner: frontnd}\n",
     ["company.config.yaml:4:", "owner 'frontnd'", "is not a role", "did you mean 'frontend'"]),
])
def test_bad_configuration(tmp_path, config, needles):
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(run_guard("check", "--base", "main", cwd=repo.path), *needles)


@pytest.mark.parametrize("only", ["migrations", "scope"])
def test_project_pattern_that_converts_but_does_not_compile(tmp_path, only):
    # pathspec turns `[z-a]` into regular-expression text that `re` refuses (a bad range).
    # A project's patterns are compiled when the policy is read, so the run fails at load
    # with file:line even when the selected check asks no question of the patterns.
    config = "guard:\n  role: backend\n  owned:\n    - src/api/\n    - src/[z-a].py\n"
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(run_guard("check", "--base", "main", "--only", only, cwd=repo.path),
                       "company.config.yaml:5:", "bad pattern 'src/[z-a].py'",
                       "bad character range")
    repo = backend_project(str(tmp_path / "q"), extra={
        ".guard/roles/data.yaml": "name: data\nowned:\n  - etl/\n  - '[9-0]/'\n"})
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(run_guard("check", "--base", "main", "--only", only, cwd=repo.path),
                       ".guard/roles/data.yaml:4:", "bad pattern '[9-0]/'")


def test_bad_project_role_file(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={
        ".guard/roles/data.yaml": "name: data\nowned:\n  - paths: [etl/]\n    nte: typo\n"})
    line = assert_clean_error(run_guard("check", "--base", "main", cwd=repo.path),
                              ".guard/roles/data.yaml:4:", "did you mean 'note'")
    assert "unknown key 'nte'" in line


def test_not_a_repository(tmp_path):
    assert_clean_error(run_guard("check", cwd=str(tmp_path)), "not a git repository")


@pytest.mark.parametrize("where", [".git", ".git/refs/heads"])
def test_inside_the_git_directory(repo, where):
    # it said "a bare repository has no work tree to check — run guard in a clone"
    git_dir = os.path.join(os.path.realpath(repo.path), ".git")
    for args in (["check", "--base", "main"], ["explain", "src/api/x.py"]):
        line = assert_clean_error(run_guard(*args, cwd=os.path.join(repo.path, where)),
                                  f"inside the git directory {git_dir}, not the work tree",
                                  f"run guard from the work tree ({os.path.realpath(repo.path)})")
        assert "bare" not in line


def test_bare_repository(repo, tmp_path):
    bare = str(tmp_path / "bare.git")
    subprocess.run(["git", "clone", "-q", "--bare", repo.path, bare], check=True, env=repo.env)
    assert_clean_error(run_guard("check", "--base", "main", cwd=bare),
                       "a bare repository has no work tree to check", "run guard in a clone")


def test_empty_repository(tmp_repo):
    assert_clean_error(run_guard("check", cwd=tmp_repo.path), "empty repository")
    assert_clean_error(run_guard("check", "--staged", cwd=tmp_repo.path), "empty repository")


def test_missing_base(repo):
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(run_guard("check", "--base", "origin/nope", cwd=repo.path),
                       "'origin/nope' does not name a commit", "fetch")


def test_option_looking_base_is_refused(repo):
    assert_clean_error(run_guard("check", "--base=--output=/tmp/x", cwd=repo.path),
                       "looks like an option")


def test_detached_head_without_base(tmp_path):
    repo = Repo.init(str(tmp_path / "p"), branch="work")
    repo.commit("chore: base", {"company.config.yaml": "guard:\n  role: backend\n"})
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    repo.git("checkout", "-q", "--detach")
    assert_clean_error(run_guard("check", cwd=repo.path), "detached", "--base")
    res = run_guard("check", "--base", "HEAD~1", cwd=repo.path)
    assert res.code == 0, res.err


def test_shallow_clone_without_merge_base(tmp_path):
    origin = backend_project(str(tmp_path / "origin"))
    for i in range(3):
        origin.commit(f"feat: step {i}", {f"src/api/f{i}.py": "x\n"})
    origin.checkout("main")
    origin.commit("chore: main moves on", {"README.md": "moved\n"})
    clone = str(tmp_path / "clone")
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch",
                    "file://" + origin.path, clone], check=True, env=origin.env)
    repo = Repo(clone)
    repo.git("checkout", "-q", "agent/backend/task")
    line = assert_clean_error(run_guard("check", "--base", "origin/main", cwd=clone),
                              "shallow clone")
    assert "fetch-depth: 0" in line


def test_one_git_call_opens_as_the_single_questions_do(repo, tmp_path):
    """context.build asks for the repository, HEAD, the head, --base and the branch in one
    `git rev-parse` (git.open_resolved); its answers must be the single calls' answers, and
    whatever it cannot simply answer goes to the single calls (None)."""
    from guard import git as gitmod
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    # tags named like the branches make their short names ambiguous (symbolic-ref --short
    # spells them `heads/...`): the branch is still its full name without refs/heads/, in
    # the one call and in the single one, since roles are read from it
    for plain in (True, False):
        single = gitmod.open_repo(repo.path)
        revs = ("HEAD", "main", "HEAD~1") if plain else ("HEAD", "HEAD~1")
        git, shas, branch = gitmod.open_resolved(repo.path, list(revs))
        assert git.root == single.root
        assert branch == single.current_branch()
        assert shas == {r: single.resolve(r) for r in revs}
        if plain:
            assert branch == "agent/backend/task"
            repo.git("tag", "agent/backend/task", "main")
            repo.git("tag", "main", "HEAD")
    assert branch == "agent/backend/task"
    # `main`, now a branch and a tag, is left to the single call, which refuses it
    assert gitmod.open_resolved(repo.path, ["HEAD", "main"]) is None
    with pytest.raises(GuardError, match="'main' is ambiguous"):
        gitmod.open_repo(repo.path).resolve("main")
    assert repo.git("symbolic-ref", "--short", "HEAD") == "heads/agent/backend/task"
    repo.git("checkout", "-q", "--detach")
    assert gitmod.open_resolved(repo.path, ["HEAD"])[2] is None
    for revs in (["nope"], ["-x"], ["HEAD..main"], ["main^{tree}"], ["HEAD", "origin/nope"]):
        assert gitmod.open_resolved(repo.path, revs) is None, revs
    assert gitmod.open_resolved(str(tmp_path), ["HEAD"]) is None      # not a repository
    assert gitmod.open_resolved(str(tmp_path / "none"), ["HEAD"]) is None
    assert_clean_error(run_guard("check", "--base", "main", "--head", "nope", cwd=repo.path),
                       "head 'nope' does not name a commit")


def test_head_is_base(repo):
    repo.checkout("main")
    assert_clean_error(run_guard("check", cwd=repo.path), "is the base itself")


def test_no_role(tmp_path):
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"README.md": "x\n"})
    repo.branch("feature/x")
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(run_guard("check", "--base", "main", cwd=repo.path), "no role",
                       "--role")


def test_unknown_check(repo):
    assert_clean_error(run_guard("check", "--only", "scop", cwd=repo.path),
                       "unknown check 'scop'", "did you mean 'scope'")
    assert_clean_error(run_guard("check", "--skip", "scope,nope", cwd=repo.path),
                       "unknown check 'nope'")


@pytest.mark.parametrize("command", ["check", "report", "verify-report"])
@pytest.mark.parametrize("option, value, needle", [
    ("--only", "", "'' names no check"), ("--only", ",", "',' names no check"),
    ("--skip", "", "'' names no check"), ("--role", "", "the value is empty"),
    ("--base", "", "the value is empty"), ("--scope", " ", "the value is empty"),
])
def test_empty_option_value_is_a_usage_error(repo, tmp_path, command, option, value, needle):
    # `--only ''` ran every check and `--role ''` fell back to guard.role: an empty value
    # read as the option left out
    repo.commit("feat(ui): x", {"src/components/Button.tsx": "x\n"})
    report = ["R.md"] if command == "verify-report" else []
    if report:
        repo.write("R.md", "# report\n")
    line = assert_clean_error(run_guard(command, *report, option, value, cwd=repo.path),
                              f"Invalid value for '{option}'", needle)
    assert line.endswith(f"see `guard {command} --help`"), line


def test_empty_option_value_of_explain_and_init(repo):
    assert_clean_error(run_guard("explain", "src/api/x.py", "--role", "", cwd=repo.path),
                       "Invalid value for '--role': the value is empty")
    assert_clean_error(run_guard("init", "--print", "--role", "", cwd=repo.path),
                       "Invalid value for '--role': the value is empty")


def test_staged_with_base_is_usage_error(repo):
    res = run_guard("check", "--staged", "--base", "main", cwd=repo.path)
    assert res.code == 2 and "Traceback" not in res.err


def test_bad_junit_file(repo, tmp_path):
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    bad = tmp_path / "junit.xml"
    bad.write_text("<testsuite><oops></testsuite>")
    assert_clean_error(run_guard("report", "--base", "main", "--tests-junit", str(bad),
                                 cwd=repo.path), "junit.xml", "not a JUnit XML file")


def test_unknown_role_on_command_line(repo):
    assert_clean_error(run_guard("check", "--base", "main", "--role", "fronted", cwd=repo.path),
                       "did you mean 'frontend'")


def test_unknown_rule_explain(repo):
    assert_clean_error(run_guard("explain", "SCOPE999", cwd=repo.path), "no rule 'SCOPE999'")


def test_explain_a_typo_of_a_rule_id(repo):
    # SCOP001 (no rule prefix SCOP) was explained as a new path at the repository's top
    assert_clean_error(run_guard("explain", "SCOP001", cwd=repo.path), "no rule 'SCOP001'",
                       "did you mean 'SCOPE001'?", "write ./SCOP001")
    assert_clean_error(run_guard("explain", "Xyz12", cwd=repo.path), "no rule 'Xyz12'",
                       "see `guard rules`")
    # written as a path, or a real path of that name: explained as a path
    res = run_guard("explain", "./SCOP001", cwd=repo.path)
    assert res.code == 0 and res.out.startswith("SCOP001: for role backend"), res
    repo.write("SCOP001", "x\n")
    repo.write("src/SCOPE999/a.py", "x\n")
    for what, cwd in (("SCOP001", repo.path), ("SCOP001", os.path.join(repo.path, "src")),
                      ("SCOPE999", os.path.join(repo.path, "src"))):
        res = run_guard("explain", what, cwd=cwd)
        assert res.code == 0 and "for role backend" in res.out, (what, cwd, res)


def test_scope_file_missing_from_base(repo):
    repo.write("tasks/scope.yaml", "allowed: [src/api/]\n")
    assert_clean_error(run_guard("check", "--base", "main", "--scope", "tasks/scope.yaml",
                                 cwd=repo.path), "tasks/scope.yaml", "not in the trusted policy")


@pytest.mark.parametrize("content, needles", [
    ('<testsuite tests="abc"><testcase name="a"/></testsuite>', ["tests='abc'", "not a count"]),
    ('<testsuite tests="-3" failures="0"></testsuite>', ["tests='-3'"]),
    ('<testsuites><testsuite failures="1.5"/></testsuites>', ["failures='1.5'"]),
])
def test_junit_file_with_a_count_that_is_not_a_number(repo, tmp_path, content, needles):
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    bad = tmp_path / "junit.xml"
    bad.write_text(content)
    assert_clean_error(run_guard("report", "--base", "main", "--tests-junit", str(bad),
                                 cwd=repo.path), "junit.xml", "not a JUnit XML file", *needles)


def test_junit_path_that_is_a_folder(repo, tmp_path):
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(run_guard("report", "--base", "main", "--tests-junit", str(tmp_path),
                                 cwd=repo.path), str(tmp_path), "cannot read the JUnit file")


@pytest.mark.parametrize("command", ["check", "report", "verify-report"])
def test_two_reports_to_one_file_is_a_usage_error(repo, tmp_path, command):
    # the second report silently replaced the first: CI uploaded a "SARIF" file holding JSON
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    out = tmp_path / "guard.out"
    args = ["REPORT.md"] if command == "verify-report" else []
    res = run_guard(command, *args, "--base", "main", "--output", f"sarif={out}",
                    "--output", f"json={tmp_path}/./guard.out", cwd=repo.path)
    assert_clean_error(res, "--output", "write the same file")
    assert not out.exists()


def test_unwritable_step_summary_is_a_clean_error(repo, tmp_path):
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    missing = str(tmp_path / "no-such-folder" / "summary.md")
    res = run_guard("check", "--base", "main", "--format", "github", cwd=repo.path,
                    env={"GITHUB_STEP_SUMMARY": missing})
    assert_clean_error(res, missing, "$GITHUB_STEP_SUMMARY", "No such file or directory")


def test_unwritable_output_says_what_to_do(repo, tmp_path):
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    missing = str(tmp_path / "no-such-folder" / "guard.sarif")
    res = run_guard("check", "--base", "main", "--output", f"sarif={missing}", cwd=repo.path)
    assert_clean_error(res, missing, "cannot write the sarif report", "pick a writable FILE")


def test_explain_with_a_base_that_does_not_exist(repo):
    # the policy was silently read from HEAD instead of the base the user named
    assert_clean_error(run_guard("explain", "src/api/x.py", "--base", "nosuch", cwd=repo.path),
                       "base 'nosuch' does not name a commit")
    res = run_guard("explain", "src/api/x.py", cwd=repo.path)
    assert res.code == 0 and "policy from base main" in res.out, res


@pytest.mark.parametrize("what", ["", "../outside.py", "/", "src/../../x"])
def test_explain_a_path_outside_the_repository(repo, what):
    # each used to print a verdict (SCOPE003 error) for a path no change can ever touch
    assert_clean_error(run_guard("explain", what, cwd=repo.path),
                       "not a path inside the repository")


def test_explain_a_new_path_up_from_a_sub_folder(repo):
    os.makedirs(os.path.join(repo.path, "src/api"), exist_ok=True)
    res = run_guard("explain", "../components/New.tsx", cwd=os.path.join(repo.path, "src/api"))
    assert res.code == 0 and res.out.startswith("src/components/New.tsx:"), res
    assert "SCOPE001" in res.out


def test_text_task_scope_with_only_a_forbidden_list(repo, tmp_path):
    # the YAML form refuses a scope without allowed paths; the text form took it and then
    # called every changed path "outside the task's file scope" (SCOPE004)
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    scope = tmp_path / "task.txt"
    scope.write_text("Task: orders\n\nFORBIDDEN:\n- src/api/legacy.py\n")
    assert_clean_error(run_guard("check", "--base", "main", "--scope", str(scope),
                                 cwd=repo.path), "task.txt:4:", "no allowed paths", "ALLOWED:")
