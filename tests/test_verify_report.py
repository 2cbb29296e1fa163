"""`guard verify-report`: honest and dishonest hand-off reports against real repositories,
through the real CLI."""

from __future__ import annotations

import json
import os

import pytest

from gitrepo import BACKEND_CONFIG, backend_project, run_guard
from guard import registry
from guard.verify_report import file_claims, parse_markdown
from guard.verify_report import tests_claim as claim_of_tests

HAS_MIGRATIONS = "migrations" in registry.CHECKS
JUNIT_PASS = ('<testsuite name="pytest" tests="2" failures="0" errors="0" skipped="0">'
              '<testcase classname="t" name="a"/><testcase classname="t" name="b"/>'
              '</testsuite>\n')
JUNIT_FAIL = ('<testsuite name="pytest" tests="2" failures="1" errors="0" skipped="0">'
              '<testcase classname="t" name="a"/><testcase classname="t" name="b">'
              '<failure message="boom"/></testcase></testsuite>\n')


@pytest.fixture
def work(tmp_path):
    """A backend branch with two commits: an endpoint with its test, and a migration."""
    repo = backend_project(str(tmp_path / "project"))
    api = repo.commit("feat(api): orders endpoint", {
        "src/api/orders.py": "def orders():\n    return []\n",
        "tests/api/test_orders.py": "def test_orders():\n    assert True\n"})
    db = repo.commit("feat(db): orders table", {
        "migrations/0001_orders.up.sql": "CREATE TABLE orders (id int primary key);\n",
        "migrations/0001_orders.down.sql": "DROP TABLE orders;\n"})
    junit_ok = tmp_path / "ok.xml"
    junit_ok.write_text(JUNIT_PASS)
    junit_bad = tmp_path / "bad.xml"
    junit_bad.write_text(JUNIT_FAIL)
    return repo, api, db, str(junit_ok), str(junit_bad), tmp_path


def honest(api: str, db: str) -> str:
    return f"""# Casey (Backend Engineer) — orders API

1. **Summary of changes** — files created/modified, key decisions made
   Files created:
   - `src/api/orders.py`
   - `tests/api/test_orders.py`
   - `migrations/0001_orders.up.sql`, `migrations/0001_orders.down.sql`

   **Key decisions**
   - the handler stays synchronous, like src/server/app.py
2. **Test results** — 2 passed, 0 failed (pytest)
3. **API deviations** — None
4. **Migration notes** — `migrations/0001_orders.up.sql` creates table orders.
   Rollback: run `migrations/0001_orders.down.sql` (drops the table).
5. **Commit references**
   - {api[:7]} feat(api): orders endpoint
   - {db[:7]} feat(db): orders table
"""


def verify(repo, tmp_path, text: str, *args, name="REPORT.md"):
    path = tmp_path / name
    path.write_text(text)
    res = run_guard("verify-report", str(path), "--base", "main", "--format", "json", *args,
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    data = json.loads(res.out)
    return res.code, data, {(f["rule"], (f.get("data") or {}).get("path") or
                             (f.get("data") or {}).get("sha")) for f in data["findings"]}


def test_honest_report_passes(work):
    repo, api, db, junit_ok, _bad, tmp = work
    code, data, found = verify(repo, tmp, honest(api, db), "--tests-junit", junit_ok)
    assert code == 0, data["findings"]
    rules = {rule for rule, _ in found}
    # no contract is configured: "API deviations: None" is reported as unverified, not passed
    assert rules <= {"REPORT010"}
    api_finding = [f for f in data["findings"] if "API deviations" in f["message"]]
    assert api_finding and "unverified" in api_finding[0]["message"]
    if HAS_MIGRATIONS:
        assert not [f for f in data["findings"] if "migration" in f["message"].lower()]
    assert data["checks"][0]["name"] == "report"
    assert all(f["check"] == "report" for f in data["findings"])
    assert all(f["path"] == "REPORT.md" or f["path"].endswith("REPORT.md")
               for f in data["findings"])


def test_dishonest_report_is_caught_claim_by_claim(work):
    repo, api, db, _ok, junit_bad, tmp = work
    fix = repo.commit("fix(server): tidy", {"src/server/app.py": "app = object()\n"})
    text = f"""# Backend report

## Summary of changes
Files created:
- `src/api/orders.py`
- `src/api/users.py`
- `src/server/app.py`
- `migrations/0001_orders.up.sql`
- `migrations/0001_orders.down.sql`

## Test results
All tests pass.

## Migration notes
None.

## Commit references
- {api[:8]} feat(api): orders endpoint
- deadbee1 feat(api): users endpoint
- {fix[:8]} fix(server): tidy
"""
    code, data, found = verify(repo, tmp, text, "--tests-junit", junit_bad)
    assert code == 1
    assert ("REPORT014", None) in found                        # persona title
    assert ("REPORT002", "src/api/users.py") in found          # claimed, untouched
    assert ("REPORT003", "tests/api/test_orders.py") in found  # touched, not claimed
    assert ("REPORT004", "src/server/app.py") in found         # "created", but modified
    assert ("REPORT008", None) in found                        # "pass" vs JUnit failure
    assert ("REPORT001", None) in found                        # no API deviations section
    assert ("REPORT005", "deadbee1") in found                  # unknown sha
    assert ("REPORT006", db) in found                          # a commit not listed
    if HAS_MIGRATIONS:
        assert ("REPORT011", "migrations/0001_orders.up.sql") in found
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert by_rule["REPORT001"]["message"] == "the report has no 'API deviations' section"
    assert by_rule["REPORT001"]["severity"] == "error"
    assert "Casey (Backend Engineer)" in by_rule["REPORT014"]["message"]
    assert "1 failure(s)" in by_rule["REPORT008"]["message"]
    assert by_rule["REPORT002"]["line"] == 6
    assert by_rule["REPORT005"]["line"] == 19


def test_tests_claim_without_evidence_is_unverified_not_passed(work):
    repo, api, db, _ok, _bad, tmp = work
    code, data, found = verify(repo, tmp, honest(api, db))
    assert ("REPORT007", None) in found
    f = next(f for f in data["findings"] if f["rule"] == "REPORT007")
    assert "no test evidence" in f["message"] and f["severity"] == "warning"


def test_configured_test_run_is_the_evidence(work):
    repo, api, db, _ok, _bad, tmp = work
    # the trusted policy (main) configures a test command that fails
    repo.checkout("main")
    cfg = open(os.path.join(repo.path, "company.config.yaml")).read()
    repo.commit("chore: tests", {"company.config.yaml": cfg + "  tests:\n    command: "
                                 "\"git definitely-not-a-git-command\"\n"})
    repo.checkout("agent/backend/task")
    repo.git("merge", "-q", "--no-edit", "main")
    merge = repo.git("rev-parse", "HEAD")
    text = honest(api, db) + f"   - {merge[:7]} merge main\n"
    code, _data, found = verify(repo, tmp, text)
    assert code == 1 and ("REPORT008", None) in found


def test_unselected_checks_make_claims_unverified(work):
    repo, api, db, junit_ok, _bad, tmp = work
    code, data, found = verify(repo, tmp, honest(api, db), "--tests-junit", junit_ok,
                               "--skip", "contract,migrations")
    msgs = [f["message"] for f in data["findings"] if f["rule"] == "REPORT010"]
    assert any("API deviations" in m and "did not run" in m for m in msgs)
    assert any("Migration notes cannot be checked" in m for m in msgs)
    assert code == 0


def test_json_report(work):
    repo, api, db, junit_ok, _bad, tmp = work
    report = {
        "title": "Casey (Backend Engineer)",
        "summary_of_changes": {"files_created": ["src/api/orders.py", "tests/api/test_orders.py",
                                                 "migrations/0001_orders.up.sql",
                                                 "migrations/0001_orders.down.sql"],
                               "key_decisions": ["none"]},
        "test_results": "2 passed, 0 failed",
        "api_deviations": [],
        "migration_notes": [{"file": "migrations/0001_orders.up.sql",
                             "rollback": "run migrations/0001_orders.down.sql"}],
        "commit_references": [api, db],
    }
    code, data, found = verify(repo, tmp, json.dumps(report), "--report-format", "json",
                               "--tests-junit", junit_ok, name="report.json")
    assert code == 0 and {r for r, _ in found} <= {"REPORT010"}, data["findings"]
    del report["commit_references"]
    report["summary_of_changes"]["files_created"].append("src/api/ghost.py")
    code, data, found = verify(repo, tmp, json.dumps(report), "--report-format", "json",
                               "--tests-junit", junit_ok, name="report.json")
    assert code == 1
    assert ("REPORT001", None) in found and ("REPORT002", "src/api/ghost.py") in found
    assert all(f["line"] is None for f in data["findings"])


def test_an_empty_or_null_section_is_an_error_not_a_none_claim(work):
    # an empty "API deviations" section (a null api_deviations in JSON) read as "no
    # deviations": a warning at most, exit 0
    repo, api, db, junit_ok, _bad, tmp = work
    text = honest(api, db).replace("3. **API deviations** — None\n",
                                   "3. **API deviations**\n\n---\n")
    code, data, _found = verify(repo, tmp, text, "--tests-junit", junit_ok)
    assert code == 1, data["findings"]
    empty = [f for f in data["findings"] if f["rule"] == "REPORT001"]
    assert [(f["severity"], f["message"], f["line"]) for f in empty] == [
        ("error", "the report's 'API deviations' section is empty", 12)]
    assert 'write "None" under \'API deviations\'' in empty[0]["hint"]
    assert not [f for f in data["findings"] if "API deviations" in f["message"] and
                f["rule"] != "REPORT001"]
    report = {"title": "Casey (Backend Engineer)",
              "summary_of_changes": {"files_created": ["src/api/orders.py",
                                                      "tests/api/test_orders.py",
                                                      "migrations/0001_orders.up.sql",
                                                      "migrations/0001_orders.down.sql"]},
              "test_results": "2 passed, 0 failed", "api_deviations": None,
              "migration_notes": [{"file": "migrations/0001_orders.up.sql",
                                   "rollback": "run migrations/0001_orders.down.sql"}],
              "commit_references": [api, db]}
    code, data, found = verify(repo, tmp, json.dumps(report), "--report-format", "json",
                               "--tests-junit", junit_ok, name="report.json")
    assert code == 1 and ("REPORT001", None) in found, data["findings"]
    f = next(f for f in data["findings"] if f["rule"] == "REPORT001")
    assert f["message"] == "the report's 'API deviations' (api_deviations) is null or empty"
    # "None" (or an empty list in JSON) is the answer when there is nothing to report
    report["api_deviations"] = []
    code, data, found = verify(repo, tmp, json.dumps(report), "--report-format", "json",
                               "--tests-junit", junit_ok, name="report.json")
    assert code == 0 and ("REPORT001", None) not in found, data["findings"]


def test_bad_input_is_exit_2_with_the_file(work):
    repo, _api, _db, _ok, _bad, tmp = work
    res = run_guard("verify-report", str(tmp / "missing.md"), "--base", "main", cwd=repo.path)
    assert res.code == 2 and "missing.md: report file not found" in res.err
    (tmp / "bad.json").write_text('{"title": "x",\n  "summary_of_changes": }')
    res = run_guard("verify-report", str(tmp / "bad.json"), "--report-format", "json",
                    "--base", "main", cwd=repo.path)
    assert res.code == 2 and "bad.json:2: not valid JSON" in res.err
    (tmp / "empty.md").write_text("\n")
    res = run_guard("verify-report", str(tmp / "empty.md"), "--base", "main", cwd=repo.path)
    assert res.code == 2 and "the report is empty" in res.err


@pytest.mark.parametrize("field, value, needles", [
    ("commit_references", "abc", ["report.json:9:", "field 'commit_references' is a string "
                                  "('abc')", "must be a list of commits"]),
    ("migration_notes", 5, ["report.json:8:", "field 'migration_notes' is a number (5)"]),
    ("api_deviations", True, ["report.json:7:", "field 'api_deviations' is true or false"]),
    ("commit_references", [1234567], ["report.json:9:", "field 'commit_references' item 0 "
                                      "is a number (1234567)"]),
    ("title", ["Casey"], ["report.json:2:", "field 'title' is a list"]),
], ids=["commits-string", "migrations-number", "api-bool", "commit-item-number", "title-list"])
def test_json_field_of_the_wrong_type_is_exit_2(work, field, value, needles):
    # a field of the wrong type was read as text: warnings at most ("abc" lists no commit,
    # so each commit was "not listed") and exit 0 — a report guard could not read, passed
    repo, api, db, junit_ok, _bad, tmp = work
    report = {"title": "Casey (Backend Engineer)",
              "summary_of_changes": ["src/api/orders.py"], "test_results": "2 passed",
              "api_deviations": [], "migration_notes": [], "commit_references": [api, db]}
    report[field] = value
    (tmp / "report.json").write_text(json.dumps(report, indent=1))
    res = run_guard("verify-report", str(tmp / "report.json"), "--report-format", "json",
                    "--tests-junit", junit_ok, "--base", "main", cwd=repo.path)
    assert res.code == 2 and res.out == "", res
    assert len(res.err.splitlines()) == 1 and "Traceback" not in res.err, res.err
    for needle in needles:
        assert needle in res.err, res.err
    assert "report cannot be verified" in res.err and f"fix {field} in the report" in res.err


@pytest.mark.parametrize("content, needle", [
    (bytes(range(256)) * 8, "not valid UTF-8"),
    (b"# report\n\x00\x00\x00\n", "a NUL byte at byte 9"),
], ids=["binary", "nul"])
def test_binary_report_is_exit_2(work, content, needle):
    # a binary file was read as a markdown report missing its five sections (exit 1)
    repo, _api, _db, _ok, _bad, tmp = work
    (tmp / "R.md").write_bytes(content)
    res = run_guard("verify-report", str(tmp / "R.md"), "--base", "main", cwd=repo.path)
    assert res.code == 2 and res.out == "", res
    assert len(res.err.splitlines()) == 1 and "R.md: not a text report" in res.err, res.err
    assert needle in res.err


def test_report_with_a_bom_reads_as_without(work):
    # Windows editors save UTF-8 with a BOM; JSON refused it ("Unexpected UTF-8 BOM")
    repo, api, db, junit_ok, _bad, tmp = work
    report = {"title": "Casey (Backend Engineer)",
              "summary_of_changes": {"files_created": ["src/api/orders.py"]},
              "test_results": "2 passed", "api_deviations": [], "migration_notes": [],
              "commit_references": [api, db]}
    for name, text in (("r.json", json.dumps(report)), ("r.md", honest(api, db))):
        plain = tmp / name
        plain.write_text(text)
        bom = tmp / ("bom-" + name)
        bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
        fmt = "json" if name.endswith(".json") else "markdown"
        runs = [run_guard("verify-report", str(p), "--report-format", fmt, "--tests-junit",
                          junit_ok, "--base", "main", "--format", "json", cwd=repo.path)
                for p in (plain, bom)]
        assert [r.code for r in runs] == [runs[0].code] * 2 and runs[0].code in (0, 1), runs
        found = [[(f["rule"], f["message"]) for f in json.loads(r.out)["findings"]]
                 for r in runs]
        assert found[0] == found[1]


def test_agent_format_for_the_report(work):
    repo, api, db, junit_ok, _bad, tmp = work
    (tmp / "R.md").write_text(honest(api, db).replace("   - `tests/api/test_orders.py`\n", ""))
    res = run_guard("verify-report", str(tmp / "R.md"), "--base", "main", "--format", "agent",
                    "--tests-junit", junit_ok, "--fail-on", "warning", cwd=repo.path)
    assert res.code == 1
    assert any(line.endswith("→ add tests/api/test_orders.py to the summary's files added")
               for line in res.out.splitlines()), res.out


@pytest.mark.parametrize("args", [("--format", "github"),
                                  ("--format", "json", "--output", "github={out}")],
                         ids=["stdout", "output"])
def test_github_format_appends_the_job_summary(work, args):
    # guard check and guard report append the markdown report to $GITHUB_STEP_SUMMARY;
    # verify-report with the github format did not, so its result never reached the summary
    repo, api, db, junit_ok, _bad, tmp = work
    (tmp / "R.md").write_text(honest(api, db).replace("3. **API deviations** — None\n", ""))
    summary = tmp / "step_summary.md"
    summary.write_text("## earlier step\n\nbuilt.\n", encoding="utf-8")
    common = ("verify-report", str(tmp / "R.md"), "--base", "main", "--tests-junit", junit_ok)
    res = run_guard(*common, *(a.format(out=tmp / "gh.txt") for a in args), cwd=repo.path,
                    env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.code == 1, res.err
    markdown = run_guard(*common, "--format", "markdown", cwd=repo.path).out
    assert "the report has no 'API deviations' section" in markdown
    assert summary.read_text(encoding="utf-8") == "## earlier step\n\nbuilt.\n" + markdown


# -- the reading of the report (pure text, no repository needed) -----------------------
@pytest.mark.parametrize("heading", [
    "## 1. Summary of changes", "1. **Summary of changes** — files created/modified",
    "**Summary of Changes:**", "### summary of changes", "Summary of changes",
    "I. Summary of changes", "- **Summary of changes**: see below",
])
def test_section_headings_in_many_shapes(heading):
    written = parse_markdown(f"# T\n{heading}\n- `src/api/a.py`\n", "R.md")
    assert "summary" in written.sections, heading
    assert [c.path for c in file_claims(written.sections["summary"])] == ["src/api/a.py"]


def test_prose_is_not_a_heading():
    written = parse_markdown("The summary of changes follows.\nTests pass in CI.\n", "R.md")
    assert written.sections == {}


@pytest.mark.parametrize("text,claim", [
    ("42 passed, 0 failed", "passed"), ("All tests pass ✅", "passed"),
    ("3 failed, 39 passed", "failed"), ("Tests were not run (no runner).", "not run"),
    ("Failures: 0, errors: 0 — 12 passed", "passed"), ("see CI", None),
])
def test_tests_claim(text, claim):
    written = parse_markdown(f"## Test results\n{text}\n", "R.md")
    assert claim_of_tests(written.sections["tests"]) == claim


@pytest.mark.skipif("contract" not in registry.CHECKS,
                    reason="this guard version has no contract check")
def test_undisclosed_api_deviation_on_the_demo_project(tmp_path):
    """The demo's agent branch serves `total` as a string where the contract says number;
    a report that claims no API deviations is caught (the real contract check runs)."""
    res = run_guard("demo", "--keep", "--format", "json", cwd=str(tmp_path),
                    env={"TMPDIR": str(tmp_path)})
    root = res.err.strip().splitlines()[-1].split("kept ", 1)[1]
    (tmp_path / "R.md").write_text("# Casey (Backend Engineer)\n\n## Summary of changes\n"
                                   "- `src/api/`\n\n## Test results\nNot run.\n\n"
                                   "## API deviations\nNone.\n\n## Migration notes\nNone.\n\n"
                                   "## Commit references\nNone.\n")
    res = run_guard("verify-report", str(tmp_path / "R.md"), "--base", "main", "--format",
                    "json", cwd=root)
    assert res.code == 1, res.err
    data = json.loads(res.out)
    deviation = [f for f in data["findings"] if f["rule"] == "REPORT009"]
    assert len(deviation) == 1 and deviation[0]["line"] == 9
    assert "CONTRACT007" in deviation[0]["message"] and "GET /orders/{order_id}" in \
        deviation[0]["message"]
    assert not [f for f in data["findings"] if f["rule"] == "REPORT014"]


def test_a_realistic_honest_report_has_no_false_alarms(work):
    """The shape a coding agent actually writes: bold sub-headings, descriptions after the
    paths (with words like "updated"), a fenced test log, a commit table."""
    repo, api, db, junit_ok, _bad, tmp = work
    fix = repo.commit("feat(server): register the orders router",
                      {"src/server/app.py": "app = None  # orders router\n"})
    text = f"""## Backend Engineer report — Casey (Backend Engineer)

### 1. Summary of changes
**Files created:**
- `src/api/orders.py` — GET /orders handler, updated for cursor pagination
- `tests/api/test_orders.py` — 2 tests (new fixtures)
- `migrations/0001_orders.up.sql` and `migrations/0001_orders.down.sql`

**Files modified:**
- `src/server/app.py` — registers the router; created no new settings

**Key decisions:**
- Cursor pagination per the RFC (`artifacts/rfc/orders.md`), not offset.
- Left `src/types/order.ts` unchanged.

### 2. Test results
```
$ ./tools/ci/run-tests.sh
..
2 passed in 0.12s
```
✅ All tests pass.

### 3. API deviations
No deviations — implemented exactly per `artifacts/api/openapi.yaml`.

### 4. Migration notes
- `migrations/0001_orders.up.sql` — creates the `orders` table.
  - Rollback: `migrations/0001_orders.down.sql` drops it.

### 5. Commit references
| Commit | Message |
|---|---|
| `{api[:7]}` | feat(api): orders endpoint |
| `{db[:7]}` | feat(db): orders table |
| `{fix[:7]}` | feat(server): register the orders router |
"""
    code, data, found = verify(repo, tmp, text, "--tests-junit", junit_ok)
    assert code == 0 and {rule for rule, _ in found} <= {"REPORT010"}, data["findings"]
    # the same with absolute paths into the checkout, and a folder named without its slash
    text = text.replace("- `src/api/orders.py`", f"- `{repo.path}/src/api/orders.py`")
    text = text.replace("- `tests/api/test_orders.py`", "- `tests/api`")
    code, data, found = verify(repo, tmp, text, "--tests-junit", junit_ok)
    assert code == 0 and {rule for rule, _ in found} <= {"REPORT010"}, data["findings"]


def test_guard_reports_own_hand_off_report_verifies(work):
    """`guard report` writes the report from the facts; verifying it must find nothing
    (a range line such as `56c37858..fc3e9bbd` names the base, not a commit made)."""
    repo, _api, _db, junit_ok, _bad, tmp = work
    res = run_guard("report", "--base", "main", "--tests-junit", junit_ok, cwd=repo.path)
    assert res.code == 0, res.err
    code, data, found = verify(repo, tmp, res.out, "--tests-junit", junit_ok)
    assert code == 0 and found <= {("REPORT010", None)}, data["findings"]


HOSTILE_FILES = ["src/components/__init__.py", "src/api/<details>.py", "src/api/a|b.py",
                 "src/api/t`ick.py", "src/api/``two`` |x.py", "src/api/s*t*ar_.py",
                 "src/api/[x](y).py", "src/api/new\nline.py", "src/api/sp ace.py",
                 "migrations/0002_a`b|c.up.sql", "migrations/0002_a`b|c.down.sql"]


def test_guard_report_with_hostile_names_verifies(tmp_path):
    """guard's own report escapes Markdown in names, headers and the persona (code spans
    with longer fences, \\| in table cells, \\[ \\* \\_ \\< in prose); verify-report reads it
    back as the same paths and title, so it finds nothing, as for ordinary names."""
    config = BACKEND_CONFIG.replace("engineering_backend: Casey",
                                    'engineering_backend: "Casey [bot] *x*"')
    repo = backend_project(str(tmp_path / "project"), config=config,
                           extra={"src/api/old_x.py": "old = 1\n"})
    repo.commit("fix: handle <details> tags\n\nKeep *all* of `x` | [y](z) in "
                "src/api/__init__.py.", {name: "x\n" for name in HOSTILE_FILES})
    repo.git("mv", "src/api/old_x.py", "src/api/ne`w|_.py")
    repo.commit("refactor(api): rename `old_x` to [new]")
    res = run_guard("report", "--base", "main", cwd=repo.path)
    assert res.code == 0, res.err
    assert res.out.startswith("# Hand-off report — Casey \\[bot\\] \\*x\\* (Backend Engineer)")
    assert "- `src/api/old_x.py` → ``src/api/ne`w|_.py``" in res.out
    code, data, found = verify(repo, tmp_path, res.out)
    assert code == 0 and found <= {("REPORT010", None)}, data["findings"]
    # and the claims are the real paths: drop two from the summary, they are missed by name
    text = "\n".join(line for line in res.out.splitlines()
                     if line not in ("- `src/api/a|b.py`", "- ```src/api/``two`` |x.py```"))
    code, data, found = verify(repo, tmp_path, text)
    assert {(rule, path) for rule, path in found if rule != "REPORT010"} == {
        ("REPORT003", "src/api/a|b.py"), ("REPORT003", "src/api/``two`` |x.py")}


def test_claims_read_markdown_escapes():
    # a code span with a longer fence, `\|` in a table row (inside a code span too) and an
    # escaped bare path are the paths they render as
    written = parse_markdown("## Summary of changes\n"
                             "- ``src/a`b.py`` created\n"
                             "| `src/c\\|d.py` | created |\n"
                             "- created src/api/\\_\\_init\\_\\_.py\n"
                             "- created \\`quoted `src/e.py`\n", "R.md")
    paths = [c.path for c in file_claims(written.sections["summary"])]
    assert paths == ["src/a`b.py", "src/c|d.py", "src/api/__init__.py", "src/e.py"]



def test_a_short_sha_of_letters_alone_is_read_as_a_commit():
    """One commit in ~2,600 has an 8-character sha without a digit (`feeceadc`): a report
    listing it must not be told it left the commit out (REPORT006), while a word of a-f
    letters that names no commit stays prose."""
    from types import SimpleNamespace

    from guard.report.model import CommitInfo
    from guard.verify_report import _commits

    sha = "feeceadca23aa9efe91e7eb064e7eceef0fb7c9e"
    report = SimpleNamespace(merge_base="1" * 40, base="1" * 40, head=sha, head_ref="HEAD",
                             base_ref="main", mode="range",
                             commits=(CommitInfo(sha, "feat(api): x", "", 1, "a"),))
    written = parse_markdown("5. **Commit references**\n   - feeceadc feat(api): x — the "
                             "handler, not defaced\n", "r.md")
    assert _commits(written, written.sections["commits"], report) == []
