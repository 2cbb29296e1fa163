"""`guard report` runs the lint/format step (guard.lint.command, else the role contract's
tools/ci/lint-format.sh as the base has it) and the tests (else tools/ci/run-tests.sh), and
says so when it did not. Real repositories, the real CLI."""

import json

import pytest

from gitrepo import BACKEND_CONFIG, backend_project, run_guard

LINT_OK = "#!/bin/sh\necho lint clean\n"
LINT_BAD = "#!/bin/sh\necho 'src/api/x.py:1: E501 line too long'\nexit 1\n"


def _report(repo, *args):
    res = run_guard("report", "--base", "main", *args, cwd=repo.path)
    assert res.code == 0, res.err
    return res.out[res.out.index("## 2. Test results"):res.out.index("## 3. API deviations")]


def _config(lint: str) -> str:
    return BACKEND_CONFIG + lint


def test_configured_lint_command_passes_and_fails(tmp_path):
    repo = backend_project(str(tmp_path / "ok"), config=_config(
        "  lint:\n    command: [python3, -c, \"print('clean')\"]\n"))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    assert "**Lint and format: PASSED** — python3 -c print('clean') (exit code 0" in \
        _report(repo)
    repo = backend_project(str(tmp_path / "bad"), config=_config(
        "  lint:\n    command: [python3, -c, \"import sys; print('E501'); sys.exit(3)\"]\n"))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    section = _report(repo)
    assert "**Lint and format: FAILED**" in section and "exit code 3" in section
    assert "E501" in section


def test_nothing_configured_says_not_run(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    section = _report(repo)
    assert ("**Lint and format: not run** — no lint command is configured "
            "(guard.lint.command) and there is no tools/ci/lint-format.sh.") in section
    assert "Lint and format" not in _report(repo, "--no-run-lint")


def test_the_base_script_runs_the_branch_version_does_not(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={"tools/ci/lint-format.sh": LINT_BAD,
                                                       "tools/ci/run-tests.sh": LINT_OK})
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    section = _report(repo)
    assert "**Lint and format: FAILED** — bash tools/ci/lint-format.sh" in section
    assert "**PASSED**" in section and "bash tools/ci/run-tests.sh" in section
    # the agent rewrites the script to pass: its version is not run, and the report says so
    repo.commit("chore(ci): quieter lint", {"tools/ci/lint-format.sh": LINT_OK})
    section = _report(repo)
    assert ("**Lint and format: not run** — tools/ci/lint-format.sh differs from the base "
            "commit's: the branch's version of it is not run for the report.") in section


def test_a_script_the_branch_adds_is_not_run(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(ci): lint", {"tools/ci/lint-format.sh": LINT_OK,
                                   "tools/ci/run-tests.sh": LINT_OK})
    section = _report(repo)
    assert "tools/ci/lint-format.sh is not on the base commit" in section
    assert "**Not run** — tools/ci/run-tests.sh is not on the base commit" in section


def test_json_has_the_lint_result(tmp_path):
    repo = backend_project(str(tmp_path / "p"), config=_config(
        "  lint:\n    command: [python3, -c, \"print(1)\"]\n"))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    res = run_guard("report", "--base", "main", "--format", "json", cwd=repo.path)
    assert json.loads(res.out)["lint"]["status"] == "passed"
    check = run_guard("check", "--base", "main", "--format", "json", cwd=repo.path)
    assert json.loads(check.out)["lint"] is None       # guard check never runs it


@pytest.mark.parametrize("snippet, message", [
    ("  lint:\n    command: \"\"\n", "guard.lint.command is empty"),
    ("  lint:\n    junit: x.xml\n", "unknown key 'junit' in guard.lint"),
    ("  lint:\n    timeout: 0\n", "guard.lint.timeout is 0"),
])
def test_bad_lint_settings_are_exit_2(tmp_path, snippet, message):
    repo = backend_project(str(tmp_path / "p"), config=_config(snippet))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    res = run_guard("report", "--base", "main", cwd=repo.path)
    assert res.code == 2 and res.err.startswith("guard: error: company.config.yaml:")
    assert message in res.err, res.err
