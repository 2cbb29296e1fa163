"""contract against real apps: FastAPI and Flask in-process, Django's route inventory, and a
real uvicorn server started through `start:` — with the known deviations each found, a
conforming app clean, and nothing left running or lying around afterwards."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, check, fixture_text, leftovers, project, rules  # noqa: E402
from gitrepo import git_env, run_guard  # noqa: E402

DEVIATIONS = {
    # (rule, operation, schemathesis check or None, words in the message)
    "wrong type": ("CONTRACT007", "GET /items/{item_id}", "response_schema_conformance",
                   "is not of type \"integer\""),
    "missing property": ("CONTRACT007", "GET /items", "response_schema_conformance",
                         "\"price\" is a required property"),
    "undocumented status": ("CONTRACT007", "POST /items", "status_code_conformance",
                            "Received: 200"),
    "server error": ("CONTRACT007", "GET /items", "not_a_server_error", "(status 500)"),
    "no handler": ("CONTRACT005", "DELETE /orders/{order_id}", None, "has no route"),
}


def assert_deviations(data, undocumented: str):
    findings = data["findings"]
    for name, (rule, op, st_check, words) in DEVIATIONS.items():
        hits = [f for f in findings if f["rule"] == rule and f["message"].startswith(op)
                and words in f["message"]
                and (st_check is None or f"{op}: {st_check}:" in f["message"])]
        assert len(hits) == 1, (name, [f["message"] for f in findings])
        if rule == "CONTRACT007":
            # in-process: a replay command that works after guard exits; against a server
            # (start:/url:) the curl line; the curl line is in data either way
            extra = hits[0]["data"]
            shown = extra.get("replay") or extra["curl"]
            assert f"reproduce: {shown}" in hits[0]["message"]
            assert extra["curl"].startswith("curl -X")
            # located at the handler (where the fix goes), the contract line named with it
            assert hits[0]["path"] == "src/api/app.py" and hits[0]["line"]
            assert hits[0]["data"]["contract_path"] == CONTRACT
            assert f"(contract: {CONTRACT}:" in hits[0]["message"]
            assert "(status " in hits[0]["message"]
    [undoc] = rules(data, "CONTRACT006")
    assert undoc["message"].startswith(undocumented)
    assert undoc["path"] == "src/api/app.py" and undoc["line"] > 1   # the handler
    # one root cause, one finding: the 500 is not also an undocumented status, and the
    # missing handler is not also reported by schemathesis
    assert not [f for f in rules(data, "CONTRACT007")
                if "DELETE /orders" in f["message"] or "Received: 500" in f["message"]]
    assert len(rules(data, "CONTRACT007")) == 4, [f["message"] for f in findings]
    facts = data["facts"]["contract"]
    assert facts["seed"] == 20240601 and facts["max_examples"] == 8
    assert {c["name"]: c for c in data["checks"]}["contract"]["status"] == "failed"


def test_fastapi_known_deviations(tmp_path):
    # a user's schemathesis.toml and hooks in the checked repository change nothing
    repo = project(tmp_path, "fastapi_bad", extra_files={
        "schemathesis.toml": "[checks.response_schema_conformance]\nenabled = false\n"
                             "[generation]\nmax-examples = 1\n",
        "hooks.py": "raise SystemExit('user hooks must not load')\n"})
    report = tmp_path / "handoff.md"
    data, res = check(repo, "--output", f"markdown={report}", env={"SCHEMATHESIS_HOOKS": "hooks"})
    assert res.code == 1
    assert_deviations(data, "GET /debug/stats")
    # the hand-off report's API deviations: what ran (seed, budget), one line per deviation
    section = report.read_text().split("## 3. API deviations")[1].split("## 4.")[0]
    assert "seed 20240601" in section and "at most 8 examples" in section
    lines = [ln for ln in section.splitlines() if ln.startswith("- **error**")]
    assert len(lines) == 6 and sum("CONTRACT007" in ln for ln in lines) == 4
    assert any("GET /debug/stats" in ln for ln in lines)
    assert leftovers(repo.path) == [] and repo.git("status", "--porcelain") == ""


def test_flask_known_deviations(tmp_path):
    repo = project(tmp_path, "flask_bad")
    data, res = check(repo)
    assert res.code == 1
    assert_deviations(data, "POST /admin/reset")
    assert "Traceback" not in res.err           # the app's own logging stays out of guard's
    assert leftovers(repo.path) == [] and repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("app_dir", ["fastapi_good", "flask_good"])
def test_conforming_app_has_no_findings(tmp_path, app_dir):
    repo = project(tmp_path, app_dir)
    data, res = check(repo)
    assert res.code == 0, data["findings"]
    # only the note naming the framework's own routes left out of the route check
    notes = [f for f in data["findings"] if f["severity"] == "info"]
    assert [f for f in data["findings"] if f not in notes] == []
    assert all(f["rule"] == "CONTRACT001" and "left out" in f["message"] for f in notes)
    if app_dir == "fastapi_good":
        [note] = notes
        assert "GET /docs" in note["message"] and "GET /openapi.json" in note["message"]
    facts = data["facts"]["contract"]
    assert facts["tested"] == 4 and facts["routes"] == 4
    assert {c["name"]: c for c in data["checks"]}["contract"]["status"] == "passed"
    assert leftovers(repo.path) == []


def test_deterministic(tmp_path):
    repo = project(tmp_path, "fastapi_bad",
                   extra="    max_examples: 8\n    include: [\"GET /items\", \"GET /items/*\"]\n")
    first, _ = check(repo)
    second, _ = check(repo)
    messages = [f["message"] for f in first["findings"]]
    assert len(rules(first, "CONTRACT007")) == 3, messages   # curl lines included
    assert messages == [f["message"] for f in second["findings"]]


def test_swagger_2_against_an_app(tmp_path):
    repo = project(tmp_path, "fastapi_good", spec_text=fixture_text("swagger2.yaml"),
                   extra="    max_examples: 8\n    ignore_routes: [\"/items\", \"/orders/*\"]\n")
    data, res = check(repo)
    assert res.code == 0, data["findings"]
    assert data["facts"]["contract"]["version"] == "2.0" and data["facts"]["contract"]["tested"]


def test_django_route_inventory(tmp_path):
    files = {f"{name}": fixture_text("django_site", name)
             for name in ("dj_settings.py", "dj_urls.py", "dj_wsgi.py")}
    repo = project(tmp_path, None, contract="    app: \"dj_wsgi:application\"\n"
                                            "    include: [\"GET /items/{item_id}\"]\n",
                   extra_files=files)
    data, res = check(repo)
    assert res.code == 1
    got = {(f["rule"], f["message"].split(" is ")[0]) for f in data["findings"]
           if f["severity"] != "info"}
    [note] = [f for f in data["findings"] if f["severity"] == "info" and
              f["rule"] == "CONTRACT001"]
    assert note["message"].endswith("left out of the route check: ANY /static/{path}")
    # the app is the branch's work: the base has none to inherit the gaps from
    [base] = rules(data, "CONTRACT010")
    assert "could not tell which route gaps" in base["message"]
    assert got == {("CONTRACT005", "DELETE /orders/{order_id}"),
                   ("CONTRACT006", "ANY /stats/{day}/")}, data["findings"]


def test_app_import_error_is_reported_as_such(tmp_path):
    repo = project(tmp_path, None, extra_files={
        "src/api/app.py": "import src.api.database  # noqa\napp = None\n"})
    data, res = check(repo)
    assert res.code == 1
    [f] = data["findings"]
    assert f["rule"] == "CONTRACT008" and "could not be imported" in f["message"]
    assert "ModuleNotFoundError" in f["message"] and "src.api.database" in f["message"]
    assert {c["name"]: c for c in data["checks"]}["contract"]["status"] == "error"


# -- a real server through start: ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state != b"Z"
    except (OSError, IndexError):
        return False


def server_project(tmp_path, script: str, timeout: int = 40):
    port = free_port()
    start = f"    start: [\"{sys.executable}\", \"{script}\"]\n"
    repo = project(tmp_path, "fastapi_bad",
                   contract=start + "    url: \"http://127.0.0.1:${API_PORT}\"\n"
                                    f"    startup_timeout: {timeout}\n"
                                    "    app: \"src.api.app:app\"\n",
                   extra_files={script: fixture_text(script),
                                ".env.example": f"API_PORT={port}  # test port\n"})
    return repo, port


def test_start_runs_a_real_server_and_leaves_nothing_running(tmp_path):
    repo, port = server_project(tmp_path, "serve.py")
    pids_file = str(tmp_path / "pids.txt")
    data, res = check(repo, env={"PIDS_FILE": pids_file})
    assert res.code == 1, res.err
    assert_deviations(data, "GET /debug/stats")
    assert f"127.0.0.1:{port}/items" in " ".join(f["message"] for f in rules(data, "CONTRACT007"))
    assert data["facts"]["contract"]["port"].startswith(f"{port} (API_PORT in .env.example")
    pids = [int(p) for p in open(pids_file).read().split()]
    assert len(pids) == 2 and not any(alive(p) for p in pids), pids
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0      # nobody listens any more
    assert leftovers(repo.path) == [] and repo.git("status", "--porcelain") == ""


def test_server_helpers_that_leave_its_process_group_are_stopped_too(tmp_path):
    """A setsid() child and a double-forked daemon escape killpg; guard, the subreaper of
    what it starts (Linux), finds them by parentage and stops them as well."""
    if not sys.platform.startswith("linux"):
        pytest.skip("child subreapers are a Linux feature")
    repo, port = server_project(tmp_path, "serve_escape.py")
    pids_file = str(tmp_path / "pids.txt")
    data, res = check(repo, env={"PIDS_FILE": pids_file})
    assert res.code == 1, res.err
    assert_deviations(data, "GET /debug/stats")
    pids = [int(p) for p in open(pids_file).read().split()]
    assert len(pids) == 3, pids
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)], pids


def test_server_that_crashes_on_start(tmp_path):
    repo, _ = server_project(tmp_path, "crash.py")
    data, res = check(repo)
    assert res.code == 1
    [f] = rules(data, "CONTRACT008")
    assert not rules(data, "CONTRACT007")          # a crash is not a contract violation
    assert "exited with code 3" in f["message"]
    assert "DATABASE_URL" in f["message"]
    assert {c["name"]: c for c in data["checks"]}["contract"]["status"] == "error"


def test_server_that_never_answers_is_stopped(tmp_path):
    repo, port = server_project(tmp_path, "silent.py", timeout=5)
    pids_file = str(tmp_path / "pids.txt")
    started = time.monotonic()
    data, res = check(repo, env={"PIDS_FILE": pids_file})
    assert time.monotonic() - started < 30
    [f] = rules(data, "CONTRACT008")
    assert not rules(data, "CONTRACT007")
    assert "did not answer" in f["message"] and "within 5s" in \
        f["message"] and "listening on port 1" in f["message"]
    pids = [int(p) for p in open(pids_file).read().split()]
    assert not any(alive(p) for p in pids), pids


def test_ctrl_c_stops_the_server(tmp_path):
    repo, port = server_project(tmp_path, "serve.py")
    pids_file = str(tmp_path / "pids.txt")
    env = git_env()
    env["PIDS_FILE"] = pids_file
    proc = subprocess.Popen([sys.executable, "-m", "guard", "check", "--only", "contract",
                             "--base", "main", "--format", "json"], cwd=repo.path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(pids_file):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the server never came up")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode != 0                      # interrupted, not a pass
    pids = [int(p) for p in open(pids_file).read().split()]
    assert not any(alive(p) for p in pids), pids


def test_url_mode_progress_on_a_terminal_silent_in_json(tmp_path):
    import pty
    port = free_port()
    repo = project(tmp_path, "fastapi_good",
                   contract="    url: \"http://127.0.0.1:${API_PORT}\"\n"
                            "    include: [\"GET /items/{item_id}\"]\n",
                   extra_files={".env.example": f"API_PORT={port}\n"})
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "src.api.app:app", "--port",
                               str(port), "--log-level", "warning"], cwd=repo.path,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        # machine format through pipes: no progress on stderr
        data, res = check(repo)
        assert res.code == 0 and "guard contract:" not in res.err
        [info] = rules(data, "CONTRACT001")
        assert "reached by URL" in info["message"]
        assert data["facts"]["contract"]["tested"] == 1
        # on a terminal: one progress line per operation and phase
        env = git_env()
        env["TERM"] = "xterm"
        main_fd, sub_fd = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "guard", "check", "--only", "contract",
                                 "--base", "main"], cwd=repo.path, env=env, stdin=sub_fd,
                                stdout=sub_fd, stderr=sub_fd, close_fds=True)
        os.close(sub_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
        os.close(main_fd)
        text = b"".join(chunks).decode("utf-8", "replace")
        assert "guard contract: GET /items/{item_id} [" in text, text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


def test_header_from_a_missing_env_var_is_exit_2(tmp_path):
    repo = project(tmp_path, "fastapi_good",
                   extra="    headers: {Authorization: \"Bearer ${SHOP_TOKEN}\"}\n")
    res = run_guard("check", "--only", "contract", "--base", "main", cwd=repo.path)
    assert res.code == 2
    assert "SHOP_TOKEN" in res.err and "not set" in res.err and "Traceback" not in res.err


def test_working_tree_not_at_the_checked_head(tmp_path):
    repo = project(tmp_path, "fastapi_good")
    repo.checkout("main")
    res = run_guard("check", "--only", "contract", "--base", "main", "--head",
                    "agent/backend/task", "--format", "json", cwd=repo.path)
    data = json.loads(res.out)
    [f] = rules(data, "CONTRACT008")
    assert "not at the checked head" in f["message"] and res.code == 1


def test_staged_mode_checks_the_index(tmp_path):
    repo = project(tmp_path, "fastapi_good",
                   extra="    include: [\"GET /items/{item_id}\"]\n    max_examples: 5\n")
    repo.write("src/api/app.py", fixture_text("fastapi_bad", "app.py"))
    repo.git("add", "src/api/app.py")
    res = run_guard("check", "--staged", "--only", "contract", "--format", "json",
                    cwd=repo.path)
    data = json.loads(res.out)
    assert res.code == 1, res.err
    assert any("GET /items/{item_id}: response_schema_conformance" in f["message"]
               for f in rules(data, "CONTRACT007"))
    assert rules(data, "CONTRACT006")          # /debug/stats, from the staged app


def test_auth_from_an_env_var_is_sent_and_masked(tmp_path):
    repo = project(tmp_path, "fastapi_auth",
                   extra="    max_examples: 5\n    include: [\"GET /items/{item_id}\"]\n"
                         "    auth: {bearer: SHOP_TOKEN}\n",
                   extra_files={"src/api/deviating.py": fixture_text("fastapi_bad", "app.py")})
    data, res = check(repo, env={"SHOP_TOKEN": "s3cret-token"})
    assert res.code == 1
    [f] = rules(data, "CONTRACT007")          # the wrong type, past the token check
    assert "is not of type \"integer\"" in f["message"]
    assert "Bearer ${SHOP_TOKEN}" in f["message"] and "s3cret-token" not in res.out
    # without the token every answer is an undocumented 401: the header above was sent
    data, _ = check(repo, env={"SHOP_TOKEN": "wrong"})
    assert any("Received: 401" in f["message"] for f in rules(data, "CONTRACT007"))


HIDDEN_ROUTES = '''
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match

from src.api.inner import app as inner


class Everything(BaseRoute):
    """Routes guard cannot list (no path): as FastAPI 0.165's included routers looked."""

    def matches(self, scope):
        return Match.FULL, {}

    async def handle(self, scope, receive, send):
        await inner(scope, receive, send)


app = Starlette(routes=[Everything()])
'''


def test_empty_inventory_is_one_finding_and_keeps_conformance(tmp_path):
    repo = project(tmp_path, None, extra_files={
        "src/api/inner.py": fixture_text("fastapi_bad", "app.py"),
        "src/api/app.py": HIDDEN_ROUTES})
    data, res = check(repo)
    assert res.code == 1
    [none] = rules(data, "CONTRACT005")
    assert none["message"].startswith("guard listed no route in the app src.api.app:app")
    assert "(4 operations in the contract)" in none["message"]
    # the schemathesis findings on the operations are all kept
    wrong = [f for f in rules(data, "CONTRACT007")
             if f["message"].startswith("GET /items/{item_id}: response_schema_conformance")]
    assert len(wrong) == 1, [f["message"] for f in data["findings"]]
    assert len(rules(data, "CONTRACT007")) >= 4


NOISY_APP = '''
import logging
import sys

print("starting the noisy app")                 # at import
log = logging.getLogger("sqlalchemy.engine")
handler = logging.StreamHandler(sys.stdout)      # holds the real stdout, as echo=True does
log.addHandler(handler)
log.setLevel(logging.INFO)
log.info("SELECT 1")
os_write = __import__("os").write
os_write(1, b"raw fd write at import\\n")

from src.api.good import app  # noqa: E402


@app.middleware("http")
async def chatty(request, call_next):
    log.info("SELECT * FROM items")
    print("request", request.url.path)
    return await call_next(request)
'''


def test_app_output_never_reaches_guard_stdout(tmp_path):
    repo = project(tmp_path, None, extra_files={
        "src/api/good.py": fixture_text("fastapi_good", "app.py"),
        "src/api/app.py": NOISY_APP})
    data, res = check(repo)                     # stdout is the JSON report and nothing else
    assert res.code == 0, data["findings"]
    assert "SELECT" not in res.out and "noisy" not in res.out and "raw fd" not in res.out
    assert data["facts"]["contract"]["cases"] > 0


def test_import_error_message_is_one_line(tmp_path):
    repo = project(tmp_path, None, extra_files={
        "src/api/app.py": "raise ValueError('settings invalid:\\n  DATABASE_URL missing\\n"
                          "  SECRET_KEY missing')\n"})
    data, res = check(repo)
    [f] = rules(data, "CONTRACT008")
    assert "\n" not in f["message"] and "\\n" not in f["message"], f["message"]
    assert "settings invalid: | DATABASE_URL missing | SECRET_KEY missing" in f["message"]


def test_any_authorization_scheme(tmp_path):
    app = fixture_text("fastapi_auth", "app.py").replace('"Bearer s3cret-token"',
                                                         '"Token s3cret-token"')
    assert '"Token s3cret-token"' in app
    repo = project(tmp_path, None,
                   extra="    max_examples: 5\n    include: [\"GET /items/{item_id}\"]\n"
                         "    auth: {scheme: Token, token: SHOP_TOKEN}\n",
                   extra_files={"src/api/app.py": app,
                                "src/api/deviating.py": fixture_text("fastapi_bad", "app.py")})
    data, res = check(repo, env={"SHOP_TOKEN": "s3cret-token"})
    assert res.code == 1
    [f] = rules(data, "CONTRACT007")          # the wrong type, past the token check
    assert "is not of type \"integer\"" in f["message"]
    assert "Token ${SHOP_TOKEN}" in f["message"] and "s3cret-token" not in res.out


def test_flask_propagating_exceptions_is_a_server_error(tmp_path):
    # PROPAGATE_EXCEPTIONS (also on with app.testing or debug) makes Flask re-raise a
    # handler's exception; a WSGI server answers 500, and so must the in-process run: a
    # not_a_server_error finding, not "schemathesis could not test" (found on the public
    # tecladocode/rest-apis-flask-python app, which sets it)
    app = fixture_text("flask_bad", "app.py") + "\napp.config[\"PROPAGATE_EXCEPTIONS\"] = True\n"
    repo = project(tmp_path, None, extra_files={"src/api/app.py": app},
                   extra="    max_examples: 8\n    include: [\"GET /items\"]\n")
    data, res = check(repo)
    assert not rules(data, "CONTRACT008"), [f["message"] for f in rules(data)]
    hits = [f for f in rules(data, "CONTRACT007")
            if "GET /items: not_a_server_error:" in f["message"]]
    assert len(hits) == 1 and "(status 500)" in hits[0]["message"]
    assert "off by one in the page size" in hits[0]["message"]
