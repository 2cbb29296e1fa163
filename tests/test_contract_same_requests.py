"""contract: for the same contract, seed and budget guard sends the requests `schemathesis run`
sends, so the two agree on what fails. A real Flask app logs every request it receives, under
a real server for the real CLI and for guard's url:, or in guard's process."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, check, project, rules  # noqa: E402

pytestmark = pytest.mark.slow

SPEC = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /users/:
    get:
      parameters:
        - {name: page, in: query, required: false, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [count], properties: {count: {type: integer}}}
  /users/{id}/:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
"""

# as Django and Flask projects do, the views live in a module imported at the first request:
# hypothesis collects its constants then, mid-run, into the examples it draws in-process
APP = '''import os

from flask import Flask, request

app = Flask(__name__)


@app.before_request
def log():
    with open(os.environ["REQUEST_LOG"], "a", encoding="utf-8") as fh:
        fh.write(f"{request.method} {request.full_path}\\n")
    from src.api import views     # noqa: F401  (first request only)


@app.get("/users/")
def users():
    from src.api.views import page_of
    return page_of(request.args.get("page"))


@app.get("/users/<int:id>/")
def user(id):
    if id != 1:
        return {"detail": "not found"}, 404     # an undocumented 404
    return {"id": id}
'''

VIEWS = '''KINDS = ("administrators", "moderators", "subscribers", "username", "email", "staff")


def page_of(page):
    if page in (None, "", "last"):
        return {"count": 0}
    try:
        number = int(page)
    except ValueError:
        return {"detail": "invalid page"}, 404
    return ({"count": 0}, 200) if number == 1 else ({"detail": "invalid page"}, 404)
'''


def schemathesis_cli() -> str:
    found = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    return found if os.path.exists(found) else shutil.which("schemathesis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen) -> None:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        assert proc.poll() is None, "the server exited"
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server never answered")


def cli_requests(repo, port: int, log, run_dir, seed: int) -> list[str]:
    from guard.checks.contract_spec import DEFAULT_CHECKS
    log.write_text("")
    run_dir.mkdir()
    cli = subprocess.run([schemathesis_cli(), "run", os.path.join(repo.path, CONTRACT),
                          "--url", f"http://127.0.0.1:{port}",
                          "--checks", ",".join(DEFAULT_CHECKS),
                          "--phases", "examples,coverage,fuzzing", "--max-examples", "25",
                          "--seed", str(seed), "--continue-on-failure", "--no-color"],
                         cwd=run_dir, capture_output=True, text=True, timeout=600)
    assert cli.returncode == 1, cli.stdout[-2000:]
    return cases(log)


def cases(log) -> list[str]:
    # schemathesis's two probes of a server (GET /, GET /schemathesis-probe...) are not cases
    return [r for r in log.read_text().splitlines() if r.split(" ", 1)[1][:7] == "/users/"]


def same(sent: list[str], expected: list[str]) -> str:
    first = next((i for i, (a, b) in enumerate(zip(sent, expected)) if a != b), None)
    if first is None and len(sent) == len(expected):
        return ""
    return (f"{len(sent)} requests from guard, {len(expected)} from the CLI; first difference "
            f"at {first}: {sent[first:first + 3] if first is not None else ''} against "
            f"{expected[first:first + 3] if first is not None else ''}")


@pytest.mark.parametrize("mode", ["url", "in-process"])
def test_guard_sends_what_schemathesis_run_sends(tmp_path, mode):
    port = free_port()
    url = f"    url: \"http://127.0.0.1:{port}\"\n" if mode == "url" else ""
    repo = project(tmp_path, None, spec_text=SPEC, contract="    app: \"src.api.app:app\"\n" + url,
                   extra_files={"src/api/app.py": APP, "src/api/views.py": VIEWS},
                   extra="    max_examples: 25\n")
    log = tmp_path / "requests.log"
    env = {**os.environ, "REQUEST_LOG": str(log), "PYTHONPATH": repo.path}
    server = subprocess.Popen([sys.executable, "-c",
                               "from werkzeug.serving import run_simple; "
                               "from src.api.app import app; "
                               f"run_simple('127.0.0.1', {port}, app)"],
                              cwd=repo.path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/users/1/", server)
        log.write_text("")
        data, res = check(repo, env={**os.environ, "REQUEST_LOG": str(log)})
        assert rules(data, "CONTRACT007"), data["findings"]   # failures: hypothesis shrinks
        sent = cases(log)
        assert len(sent) == data["facts"]["contract"]["cases"]
        expected = cli_requests(repo, port, log, tmp_path / "cli",
                                data["facts"]["contract"]["seed"])
    finally:
        server.terminate()
        server.wait(timeout=10)
    if mode == "url":
        assert same(sent, expected) == ""
        return
    # in-process the case is the same, but werkzeug's test client writes a generated object
    # or list in the query otherwise than requests does over HTTP (`{'a': 1}` against `a`,
    # `'` against `%27`): the same requests in the same order, a few spelled otherwise
    assert [r.partition("?")[0] for r in sent] == [r.partition("?")[0] for r in expected]
    differ = [(a, b) for a, b in zip(sent, expected) if a != b]
    assert len(differ) <= len(sent) // 4, (len(differ), same(sent, expected))
