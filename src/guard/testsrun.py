"""Test results for the hand-off report: from a JUnit file or the configured command.

Never invented: with neither, the report says "not run".
"""

from __future__ import annotations

import os
import subprocess

from guard.errors import GuardError
from guard.report.model import TestsResult


def from_junit(path: str) -> TestsResult:
    import xml.etree.ElementTree as ET     # only a run with a JUnit file pays for it
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise GuardError("JUnit file not found", path=path,
                         hint="run the tests with --junitxml first, or drop --tests-junit") from None
    except OSError as exc:      # a folder, no permission
        raise GuardError(f"cannot read the JUnit file: {exc.strerror}", path=path,
                         hint="pass the JUnit XML file the test run wrote") from None
    except ET.ParseError as exc:
        raise GuardError(f"not a JUnit XML file: {exc}", path=path,
                         line=exc.position[0] if exc.position else None,
                         hint="pass the JUnit XML file the test run wrote") from None
    suites = [root] if root.tag == "testsuite" else root.findall(".//testsuite")
    if root.tag not in ("testsuite", "testsuites"):
        raise GuardError(f"not a JUnit XML file (root element <{root.tag}>)", path=path)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        if suite.find("testsuite") is not None:
            continue  # nested aggregate: count the leaves only
        cases = suite.findall("testcase")
        totals["tests"] += _count(suite, "tests", len(cases), path)
        totals["failures"] += _count(suite, "failures", 0, path)
        totals["errors"] += _count(suite, "errors", 0, path)
        totals["skipped"] += _count(suite, "skipped", _count(suite, "skip", 0, path), path)
    status = "failed" if totals["failures"] or totals["errors"] else "passed"
    if totals["tests"] == 0:
        status = "failed"
        detail = "the JUnit file records no test at all"
    else:
        detail = ""
    return TestsResult(status, os.path.basename(path), detail=detail, **totals)


def _count(suite, attr: str, default: int, path: str) -> int:
    """A <testsuite> count attribute; a value that is not a whole number >= 0 is not a
    result guard can report (never read as 0, never a crash)."""
    value = suite.get(attr)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise GuardError(f"not a JUnit XML file: a <testsuite> has {attr}={value!r}, "
                         "not a count", path=path,
                         hint="pass the JUnit XML file the test run wrote")
    return number


def run_command(command: tuple[str, ...], cwd: str, timeout: int,
                junit: str | None, key: str = "tests") -> TestsResult:
    label = " ".join(command)
    try:
        proc = subprocess.run(list(command), cwd=cwd, capture_output=True, timeout=timeout,
                              check=False)
    except FileNotFoundError:
        what = "test" if key == "tests" else "lint"
        raise GuardError(f"the configured {what} command cannot be started: {command[0]} "
                         "not found", path="company.config.yaml",
                         hint=f"fix guard.{key}.command") from None
    except subprocess.TimeoutExpired:
        return TestsResult("failed", label, detail=f"timed out after {timeout} s")
    if junit and os.path.exists(os.path.join(cwd, junit)):
        result = from_junit(os.path.join(cwd, junit))
        return TestsResult("failed" if proc.returncode else result.status, label, result.tests,
                           result.failures, result.errors, result.skipped,
                           f"exit code {proc.returncode}")
    tail = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return TestsResult("passed" if proc.returncode == 0 else "failed", label,
                       detail=f"exit code {proc.returncode}; last line: {tail[0][:200]}")


def for_run(ctx, *, junit_file: str | None, run_tests: bool) -> TestsResult | None:
    """The test evidence for one run, in order of precedence: a JUnit file given on the
    command line, the configured test command (when the caller runs tests), the configured
    JUnit file if it exists. None when there is no evidence ("not run", never invented)."""
    tests = ctx.policy.config.tests
    if junit_file:
        rel = committed(ctx, junit_file)
        if rel:
            raise GuardError(f"the JUnit file is committed in the checked branch ({rel}): it "
                             "is the branch's own file, not the result of a test run",
                             path=junit_file,
                             hint="have the test run write its JUnit file outside the "
                                  "repository (or to a path git ignores) and pass that")
        return from_junit(junit_file)
    stale = committed(ctx, os.path.join(ctx.root, tests.junit)) if tests.junit else None
    if run_tests and tests.command:
        result = run_command(tests.command, ctx.root, tests.timeout,
                             None if stale else tests.junit)
        if stale:
            result = result._replace(detail=f"{result.detail}; {stale} is committed on the "
                                            "branch, so its counts are not used")
        return result
    if stale:
        return TestsResult("not run", stale,
                           detail=f"{stale} (guard.tests.junit) is committed on the branch: "
                                  "the branch's own file, not the result of a test run")
    if tests.junit and os.path.exists(os.path.join(ctx.root, tests.junit)):
        return from_junit(os.path.join(ctx.root, tests.junit))
    if run_tests:
        script, why = trusted_script(ctx, TESTS_SCRIPT)
        if script is not None:
            return run_command(script, ctx.root, tests.timeout, None)
        if why:
            return TestsResult("not run", TESTS_SCRIPT, detail=why)
    return None


def committed(ctx, path: str) -> str | None:
    """The repository path of ``path`` when the checked head holds it (a JUnit file the
    branch committed: the agent's own claim of a test run), else None."""
    rel = os.path.relpath(os.path.abspath(path), ctx.root).replace(os.sep, "/")
    if rel == ".." or rel.startswith("../"):
        return None
    rev = ":" if ctx.head == "INDEX" else ctx.head
    return rel if ctx.git.read_blob(rev, rel) is not None else None


# The role contract's own scripts: "Run ./tools/ci/run-tests.sh before reporting completion",
# "Run ./tools/ci/lint-format.sh before reporting completion". Used when guard.tests /
# guard.lint name no command.
TESTS_SCRIPT = "tools/ci/run-tests.sh"
LINT_SCRIPT = "tools/ci/lint-format.sh"


def trusted_script(ctx, path: str) -> tuple[tuple[str, ...] | None, str]:
    """(command, "") to run the project's script at ``path``, or (None, why not). The
    script is run only as the base commit has it: a script the branch added or changed is
    the agent's own code and is not run for the report (the reason says so)."""
    base_rev = ctx.merge_base or ctx.base
    base = ctx.git.read_blob(base_rev, path) if base_rev else None
    local = os.path.join(ctx.root, path)
    if not os.path.isfile(local) or os.path.islink(local):
        return None, ""
    with open(local, "rb") as fh:
        here = fh.read()
    if base is None:
        return None, (f"{path} is not on the base commit: a script the branch adds is not "
                      "run for the report")
    if base != here:
        return None, (f"{path} differs from the base commit's: the branch's version of it "
                      "is not run for the report")
    # as the contract says to run it (./tools/ci/...), or through bash when it is not
    # executable; the path is an argument, never shell text
    return ((f"./{path}",) if os.access(local, os.X_OK) else ("bash", path)), ""


def lint_for_run(ctx, *, run_lint: bool) -> TestsResult | None:
    """The lint/format result for the report: guard.lint.command, else the role contract's
    tools/ci/lint-format.sh as the base has it; "not run", with why, otherwise. None when the
    caller does not run lint (`guard check`)."""
    if not run_lint:
        return None
    lint = ctx.policy.config.lint
    if lint.command:
        return run_command(lint.command, ctx.root, lint.timeout, None, key="lint")
    script, why = trusted_script(ctx, LINT_SCRIPT)
    if script is not None:
        return run_command(script, ctx.root, lint.timeout, None, key="lint")
    return TestsResult("not run", "guard.lint", detail=why or (
        f"no lint command is configured (guard.lint.command) and there is no {LINT_SCRIPT}"))
