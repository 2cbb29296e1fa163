"""conventions: every rule on fixture files (Python and TypeScript, failing and passing
forms, the traps), on real repositories, through the real command line."""

from __future__ import annotations

import json
import os
import re
from collections import Counter

import pytest

from gitrepo import backend_project, run_guard

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "conventions")
CASES = sorted(d for d in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, d)))
MARK = re.compile(r"expect: ((?:CONV\d{3}\s*)+)")
HARNESS_TEST = "tests/api/harness_cases.py"

# Findings the files cannot carry a marker for (no line, or a line in a format without
# comments): (rule, path, line).
EXTRA = {
    "ports-script-fail": [("CONV001", "src/server/start.sh", 4), ("CONV001", "package.json", 4),
                          ("CONV001", "package.json", 6)],
    "ports-doc-fail": [("CONV002", ".env.example", 2)],
    "tests-fail": [("CONV008", "src/api/orders.py", None)],
    "tests-ts-fail": [("CONV008", "src/server/orders.ts", None)],
    "secrets-fail": [("CONV010", ".env", None), ("CONV009", ".env", 2),
                     ("CONV009", "src/server/deploy_key.pem", 1)],
}


def _files(root: str) -> dict[str, bytes]:
    out = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as fh:
                out[os.path.relpath(full, root).replace(os.sep, "/")] = fh.read()
    return out


def expected(case: str, branch: dict[str, bytes]) -> Counter:
    want = Counter()
    for path, data in branch.items():
        for number, line in enumerate(data.decode().splitlines(), 1):
            m = MARK.search(line)
            if m:
                for rule in m.group(1).split():
                    want[(rule, path, number)] += 1
    for item in EXTRA.get(case, []):
        want[item] += 1
    return want


def check(repo, *args) -> dict:
    res = run_guard("check", "--only", "conventions", "--format", "json", *args, cwd=repo.path)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)


def got(data) -> Counter:
    return Counter((f["rule"], f["path"], f["line"]) for f in data["findings"])


def build(tmp_path, case: str):
    base_dir = os.path.join(FIXTURES, case, "base")
    base = _files(base_dir) if os.path.isdir(base_dir) else {}
    repo = backend_project(str(tmp_path / "p"), extra=base)
    branch = _files(os.path.join(FIXTURES, case, "branch"))
    files = dict(branch)
    if not case.startswith("tests-"):
        files[HARNESS_TEST] = b"def check():\n    assert True\n"
    repo.commit(f"feat: {case}", files)
    return repo, branch


@pytest.mark.parametrize("case", CASES)
def test_fixture(tmp_path, case):
    repo, branch = build(tmp_path, case)
    data = check(repo, "--base", "main")
    want = expected(case, branch)
    assert got(data) == want, json.dumps(data["findings"], indent=1)
    if case.endswith("-pass"):
        assert data["findings"] == []
    else:
        assert want, "a failing fixture must expect something"
    status = {c["name"]: c["status"] for c in data["checks"]}
    errors = any(f["severity"] == "error" for f in data["findings"])
    assert status["conventions"] == ("failed" if errors else "warnings" if want else "passed")
    for f in data["findings"]:          # what, where and what to do
        assert f["path"] and f["hint"] and f["check"] == "conventions"
        if f["line"]:
            assert f"{f['path']}:{f['line']}" in f["message"] or f["path"] == ".env"


def test_findings_limited_to_changed_lines(tmp_path):
    """A file the branch touches is held to what the branch wrote, not to old code."""
    repo = backend_project(str(tmp_path / "p"), extra={
        "src/server/main.py": "import uvicorn\n\n\ndef serve():\n"
                              "    uvicorn.run('app', port=8000)\n"})
    repo.commit("feat: add a route", {
        "src/server/main.py": "import uvicorn\n\n\ndef serve():\n"
                              "    uvicorn.run('app', port=8000)\n\n\n"
                              "def serve_admin():\n    uvicorn.run('admin', port=8001)\n",
        HARNESS_TEST: "def check():\n    assert True\n"})
    data = check(repo, "--base", "main")
    assert got(data) == Counter({("CONV001", "src/server/main.py", 9): 1})


def test_tests_beside_the_code_are_tests(tmp_path):
    """Jest/Vitest `*.test.ts`, `__tests__/` and pytest `test_*.py` beside the server code
    satisfy CONV008 and are held to the test rules, not the server rules."""
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: orders", {
        "src/server/orders.ts": "export const total = (a: number[]) => a.length;\n",
        "src/server/orders.test.ts": "const server = app.listen(4001);\n"
                                     "test('t', () => expect(total([1])).toBe(1));\n",
        "src/server/__tests__/auth.spec.ts": "process.env.JWT_SECRET = 'test-secret-value-123';\n",
        "src/api/tests/test_orders.py": "import uvicorn\n"
                                        "CFG = uvicorn.Config('x:app', port=8765)\n"})
    data = check(repo, "--base", "main")
    assert data["findings"] == []
    # a change with no test beside it still gets CONV008
    repo.commit("feat: refunds", {"src/server/refunds.ts": "export const refund = 1;\n"})
    data = check(repo, "--base", "HEAD~1")
    assert got(data) == Counter({("CONV008", "src/server/refunds.ts", None): 1})


def test_staged_mode_reads_the_index(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.write("src/server/main.ts", "app.listen(3000);\n")
    repo.write(".env", "STRIPE_KEY=sk_live_51Hx9aQ2eZvKYlo2C8tPq7RwX\n")
    repo.git("add", "src/server/main.ts", ".env")
    # the working tree differs from the index: guard must read what is staged
    repo.write("src/server/main.ts", "app.listen(Number(process.env.API_PORT));\n")
    data = check(repo, "--staged")
    f = got(data)
    assert f[("CONV001", "src/server/main.ts", 1)] == 1
    assert f[("CONV010", ".env", None)] == 1
    assert f[("CONV009", ".env", 1)] == 1
    assert f[("CONV008", "src/server/main.ts", None)] == 1


def test_severity_and_off_come_from_the_trusted_policy(tmp_path):
    config = ("guard:\n  role: backend\n  severity:\n"
              "    CONV001: {level: warning, reason: \"ports are being migrated this sprint\"}\n"
              "    CONV008: {level: 'off', reason: \"tests live in another repository\"}\n")
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat: serve", {"src/server/main.ts": "app.listen(3000);\n"})
    data = check(repo, "--base", "main")
    assert [(f["rule"], f["severity"]) for f in data["findings"]] == [("CONV001", "warning")]


def test_branch_cannot_switch_a_rule_off(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    cfg = repo.git("show", "main:company.config.yaml")
    repo.commit("feat: serve", {
        "company.config.yaml": cfg + "  severity:\n    CONV001: {level: 'off', reason: mine}\n",
        "src/server/main.ts": "app.listen(3000);\n", HARNESS_TEST: "x = 1\n"})
    data = check(repo, "--base", "main")
    assert got(data) == Counter({("CONV001", "src/server/main.ts", 1): 1})
    assert data["findings"][0]["severity"] == "error"


def test_configured_paths_and_port_vars(tmp_path):
    config = ("guard:\n  role: backend\n  owned: [app/, checks/]\n  conventions:\n"
              "    server_paths: [app/]\n    job_paths: [app/tasks/]\n"
              "    test_paths: [checks/]\n    port_vars: [HTTP_PORT]\n"
              "    env_example: config/env.example\n")
    repo = backend_project(str(tmp_path / "p"), config=config,
                           extra={"config/env.example": "HTTP_PORT=8000  # the API\n"})
    repo.commit("feat: app", {
        "app/main.py": "import os, uvicorn\n"
                       "uvicorn.run('a', port=int(os.environ['HTTP_PORT']))\n"
                       "uvicorn.run('a', port=int(os.environ['API_PORT']))\n",
        "app/tasks/mail.py": "@app.task(max_retries=3, on_failure=dead)\n"
                             "def mail(idempotency_key):\n    pass\n",
        "src/server/ignored.py": "import uvicorn\nuvicorn.run('a', port=8000)\n"})
    data = check(repo, "--base", "main")
    assert got(data) == Counter({("CONV003", "app/main.py", 3): 1,
                                 ("CONV002", "app/main.py", 3): 1,
                                 ("CONV008", "app/main.py", None): 1})
    repo.commit("test: mail", {"checks/test_mail.py": "x = 1\n"})
    assert ("CONV008", "app/main.py", None) not in got(check(repo, "--base", "main"))


@pytest.mark.parametrize("section, message", [
    ("    servr_paths: [src/]\n", "unknown key 'servr_paths' in guard.conventions"),
    ("    port_vars: [API-PORT]\n", "not an environment variable name"),
    ("    env_example: '.env*'\n", "must be one file path"),
    ("    job_paths: 3\n", "must be a list"),
])
def test_bad_configuration_is_exit_2_with_file_and_line(tmp_path, section, message):
    config = "guard:\n  role: backend\n  conventions:\n" + section
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat: x", {"src/api/x.py": "x = 1\n"})
    res = run_guard("check", "--only", "conventions", "--base", "main", cwd=repo.path)
    assert res.code == 2, res.out + res.err
    assert "company.config.yaml:4" in res.err and message in res.err
    assert "Traceback" not in res.err


def test_a_file_too_big_to_parse_is_reported_not_passed(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    big = "x = 1\n" * 400_000 + "app_port = 8000\n"
    repo.commit("feat: generated", {"src/api/generated.py": big, HARNESS_TEST: "x = 1\n"})
    data = check(repo, "--base", "main")
    assert got(data) == Counter({("CONV011", "src/api/generated.py", 1): 1})
    assert "larger than the 2 MB" in data["findings"][0]["message"]


def test_lines_are_counted_by_newline_only(tmp_path):
    """A form feed (a page break in Emacs-style Python) or a U+2028 in a JS string breaks
    no line for git, ast or the tokenizer; the changed lines are counted the same way, so
    a read after one is checked on the line it is on."""
    repo = backend_project(str(tmp_path / "p"), extra={
        "src/server/feed.py": "import os\n\x0c\nA = 1\n",
        "src/server/sep.ts": "const s = 'a\u2028b';\n",
        "src/server/start.sh": "#!/bin/sh\n\x0c\n"})
    repo.commit("feat: read two variables", {
        "src/server/feed.py": "import os\n\x0c\nA = 1\n\x0c\nB = os.environ['FEED_VAR']\n",
        "src/server/sep.ts": "const s = 'a\u2028b';\nconst p = process.env.SEP_VAR;\n",
        "src/server/start.sh": "#!/bin/sh\n\x0c\nexec uvicorn app:app --port 8000\n",
        HARNESS_TEST: "x = 1\n"})
    assert got(check(repo, "--base", "main")) == Counter({
        ("CONV004", "src/server/feed.py", 5): 1, ("CONV004", "src/server/sep.ts", 2): 1,
        ("CONV001", "src/server/start.sh", 3): 1})


def test_file_names_with_spaces_and_newlines(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("chore: base file", {"config/server/prod settings.yaml": "a: 1\n"})
    repo.commit("feat: weird names", {
        "config/server/prod settings.yaml": "a: 1\nstripe: sk_live_51Hx9aQ2eZvKYlo2C8tPq7RwX\n",
        "src/server/new\nline.ts": "app.listen(3000);\n", HARNESS_TEST: "x = 1\n"})
    f = got(check(repo, "--base", "main"))
    assert f == Counter({("CONV009", "config/server/prod settings.yaml", 2): 1,
                         ("CONV001", "src/server/new\nline.ts", 1): 1})


def test_compose_interpolation_is_no_credential(tmp_path):
    # fastapi/full-stack-fastapi-template 32ab6dd0: `${POSTGRES_PASSWORD:?Variable not set}`
    # reads the variable (its message is no value); a `:-`/`:=` default is a literal value
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: compose variables", {
        "config/server/compose.yml": (
            "services:\n  backend:\n    environment:\n"
            "      DATABASE_URL: postgresql://app:${POSTGRES_PASSWORD:?Variable not set}@db/app\n"
            "      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?Variable not set}\n"
            "      SMTP_PASSWORD: ${SMTP_PASSWORD:-}\n"
            "      FIRST_PASSWORD: ${FIRST_PASSWORD:-changethis}\n"
            "      REDIS_PASSWORD: ${REDIS_PASSWORD:-q8Zr2LmW4tYx}\n"),
        HARNESS_TEST: "x = 1\n"})
    assert got(check(repo, "--base", "main")) == Counter({
        ("CONV009", "config/server/compose.yml", 8): 1})


def test_every_rule_is_documented():
    from guard.checks.conventions_spec import RULES
    from guard.registry import RULES_BY_ID
    docs = os.path.join(os.path.dirname(__file__), "..", "docs")
    readme = open(os.path.join(docs, "configuration.md"), encoding="utf-8").read()
    catalogue = open(os.path.join(docs, "rules.md"), encoding="utf-8").read()
    for rule in RULES:
        assert RULES_BY_ID[rule.id] is rule
        assert rule.wrong and rule.right and rule.wrong != rule.right
        assert f"| [{rule.id}](#{rule.id.lower()}) | conventions |" in catalogue
        assert f"`{rule.id}`" in readme.split("### `guard.conventions`")[1]
    res = run_guard("explain", "CONV001", cwd=os.path.dirname(__file__))
    assert res.code == 0 and "Wrong:" in res.out and "port=8000" in res.out


def test_demo_shows_a_conventions_finding(tmp_path):
    """The demo's agent branch, checked by the conventions check alone."""
    from guard import demo
    root = str(tmp_path / "demo")
    os.makedirs(root)
    demo.build(root)
    assert "CONV001" in demo.EXPECTED
    res = run_guard("check", "--only", "conventions", "--base", "main", "--format", "json",
                    cwd=root)
    assert res.code == 1, res.err
    assert got(json.loads(res.out))[("CONV001", "src/server/app.py", 9)] == 1


def test_two_processes_find_what_one_finds(tmp_path):
    """The per-file stages split over a forked worker on large changes; lowering the
    threshold runs that path on a small one, and the findings must be the same."""
    from guard import context
    import guard.checks.conventions as conv
    files = {}
    for case in ("ports-py-fail", "ports-ts-fail", "jobs-py-fail", "secrets-fail"):
        files.update(_files(os.path.join(FIXTURES, case, "branch")))
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: many", files)
    ctx = context.build(context.Options(repo=repo.path, base="main"), env={})
    saved = dict(conv.PARALLEL_MIN)
    try:
        conv.PARALLEL_MIN.update({stage: 10 ** 9 for stage in saved})
        one = sorted(conv.run(ctx), key=lambda f: f.sort_key())
        conv.PARALLEL_MIN.update({stage: 0 for stage in saved})
        two = sorted(conv.run(ctx), key=lambda f: f.sort_key())
    finally:
        conv.PARALLEL_MIN.update(saved)
    assert one == two and len(one) > 20


@pytest.mark.parametrize("path, is_test", [
    ("tests/api/test_orders.py", True), ("src/server/tests/helpers.py", True),
    ("src/test/x.ts", True), ("src/__tests__/orders.ts", True), ("test_a.py", True),
    ("src/api/orders_test.py", True), ("src/conftest.py", True),
    ("src/server/orders.test.ts", True), ("src/server/orders.spec.mjs", True),
    ("src/a.test.ctsx", True), ("src/.test.js", True),
    ("src/server/orders.py", False), ("src/testing/x.py", False), ("src/mytests/x.ts", False),
    ("src/tests.py", False), ("src/x.test.py", False), ("src/x.tests.ts", False),
    ("src/x.test.tsxx", False), ("src/test.ts", False), ("src/x.spec.", False),
    ("src/contest.py", False), ("tests", False)])
def test_test_file_names(path, is_test):
    from guard.checks.conventions.rules import is_test_file
    assert is_test_file(path) is is_test
