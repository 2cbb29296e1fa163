"""contract: route gaps the base commit already has (an operation with no route, an
undocumented route on a handler the branch did not change) are inherited (one CONTRACT010
info), not the branch's CONTRACT005/CONTRACT006 errors. Real git repositories and real
FastAPI apps; the base runs for real."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, check, contract_config, rules  # noqa: E402
from gitrepo import backend_project  # noqa: E402

pytestmark = pytest.mark.slow

# GET /b conforms; GET /c is in the contract and was never implemented
SPEC = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /b:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [n], properties: {n: {type: integer}}}
  /c:
    get:
      responses:
        "200": {description: ok}
"""

# /health is served and not in the contract; handler B comes first, so editing it moves
# the others' lines (which must not count as touching them)
APP_TEXT = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/b")
def get_b():
    return {{"n": {n}}}


@app.get("/health")
def health():
    return {{"ok": {ok}}}
'''
APP = "src/api/app.py"


def app_text(n=1, ok="True") -> str:
    return APP_TEXT.format(n=n, ok=ok)


def repo_with(tmp_path, base_app: str, contract: str = "    app: \"src.api.app:app\"\n"):
    config = contract_config(contract, extra="    max_examples: 4\n    phases: [examples, "
                                             "coverage]\n")
    return backend_project(str(tmp_path / "p"), config=config, extra={
        CONTRACT: SPEC, "src/__init__.py": "", "src/api/__init__.py": "", APP: base_app})


def edit_b(text: str) -> str:
    return text.replace('"n": 1', '"n": 2').replace("def get_b():\n",
                                                    "def get_b():\n    # two now\n")


def gap_note(data):
    found = [f for f in rules(data, "CONTRACT010") if "inherited" in f["message"]]
    assert len(found) <= 1
    return found[0] if found else None


def test_gaps_the_base_has_on_untouched_handlers_are_inherited(tmp_path):
    repo = repo_with(tmp_path, app_text())
    repo.commit("feat(api): b answers 2", {APP: edit_b(app_text())})
    data, res = check(repo)
    assert res.code == 0, [f["message"] for f in data["findings"]]
    assert rules(data, "CONTRACT005") == [] and rules(data, "CONTRACT006") == []
    note = gap_note(data)
    assert note is not None and note["severity"] == "info"
    assert sorted(map(tuple, note["data"]["inherited"])) == [
        ("missing", "GET /c"), ("undocumented", "GET /health")]
    assert note["message"].startswith("2 route gap(s) are inherited")
    assert data["facts"]["contract"]["inherited_gaps"] == 2
    # the 404 of the missing operation is its one root cause, not a conformance failure
    assert [f for f in rules(data, "CONTRACT007") if f["data"]["operation"] == "GET /c"] == []


def test_editing_an_undocumented_handler_or_removing_a_route_is_the_branchs(tmp_path):
    repo = repo_with(tmp_path, app_text())
    # /health answers differently now; /b is gone (its operation has no route any more)
    edited = app_text(ok="False").replace('@app.get("/b")', '@app.get("/bee")')
    repo.commit("feat(api): health says no", {APP: edited})
    data, res = check(repo)
    assert res.code == 1
    [undocumented] = [f for f in rules(data, "CONTRACT006") if "/health" in f["message"]]
    assert undocumented["severity"] == "error" and undocumented["path"] == APP
    assert {f["data"]["operation"] for f in rules(data, "CONTRACT005")} == {"GET /b"}
    assert data["facts"]["contract"]["gaps_not_inherited"] == {
        "GET /health": "handler changed on this branch"}
    note = gap_note(data)          # /c stays the base's; /bee is new: the branch's
    assert note is not None and [tuple(r) for r in note["data"]["inherited"]] == [
        ("missing", "GET /c")]
    assert any("/bee" in f["message"] for f in rules(data, "CONTRACT006"))


def test_gaps_are_the_branchs_when_the_base_app_does_not_import(tmp_path):
    broken = "raise RuntimeError('the base app needs a database')\n" + app_text()
    repo = repo_with(tmp_path, broken)
    repo.commit("fix(api): the app starts", {APP: app_text()})
    data, res = check(repo)
    assert res.code == 1
    assert {f["data"]["operation"] for f in rules(data, "CONTRACT005")} == {"GET /c"}
    assert len(rules(data, "CONTRACT006")) == 1
    assert gap_note(data) is None
    [note] = [f for f in rules(data, "CONTRACT010")]
    assert "could not tell which route gaps" in note["message"]
    assert "the base app needs a database" in note["message"]


def test_with_url_the_base_routes_come_from_importing_the_base_app(tmp_path):
    # no base run with url: (there is no base server); the base's routes are still listed
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repo = repo_with(tmp_path, app_text(), contract=(
        "    app: \"src.api.app:app\"\n"
        f"    start: [\"{sys.executable}\", \"-m\", \"uvicorn\", \"src.api.app:app\", "
        "\"--port\", \"${API_PORT}\"]\n"
        "    url: \"http://127.0.0.1:${API_PORT}\"\n"))
    repo.commit("feat(api): b answers 2", {APP: edit_b(app_text()),
                                           ".env": f"API_PORT={port}\n"})
    data, res = check(repo)
    assert rules(data, "CONTRACT005") == [] and rules(data, "CONTRACT006") == [], \
        [f["message"] for f in data["findings"]]
    note = gap_note(data)
    assert note is not None and len(note["data"]["inherited"]) == 2
