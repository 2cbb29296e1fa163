"""contract: conformance failures the base commit already has, on operations whose handlers
the branch did not change, are inherited (one info finding with the list), not the branch's
errors. Real git repositories, real FastAPI and Flask apps; the base runs for real."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, check, contract_config, rules  # noqa: E402
from gitrepo import backend_project  # noqa: E402

pytestmark = pytest.mark.slow

# two operations; neither documents a 404 (nor a 422)
SPEC = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
  /b:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [n], properties: {n: {type: integer}}}
"""

# handler B first: editing it moves A's lines, which must not count as touching A
FASTAPI = '''from fastapi import FastAPI, HTTPException

app = FastAPI()


@app.get("/b")
def get_b():
    return {{"n": {n}}}


@app.get("/a/{{id}}")
def get_a(id: int):
    if id != 1:
        raise HTTPException(404)    # only item 1 exists: an undocumented 404
    return {{"id": id}}
'''

FLASK = '''from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/b")
def get_b():
    return jsonify(n={n})


@app.get("/a/<int:id>")
def get_a(id):
    if id != 1:
        return "", 404              # only item 1 exists: an undocumented 404
    return jsonify(id=id)
'''

APPS = {"fastapi": FASTAPI, "flask": FLASK}
APP = "src/api/app.py"


def repo_with(tmp_path, base_app: str):
    config = contract_config("    app: \"src.api.app:app\"\n",
                             extra="    max_examples: 6\n    phases: [examples, coverage, "
                                   "fuzzing]\n")
    return backend_project(str(tmp_path / "p"), config=config, extra={
        CONTRACT: SPEC, "src/__init__.py": "", "src/api/__init__.py": "", APP: base_app})


def failing_ops(data) -> set:
    return {f["data"]["operation"] for f in rules(data, "CONTRACT007")}


def inherited(data):
    found = [f for f in rules(data, "CONTRACT009") if "inherited" in f["message"]]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_failure_the_base_has_on_an_untouched_handler_is_inherited(tmp_path, framework):
    source = APPS[framework]
    repo = repo_with(tmp_path, source.format(n=1))
    # the branch edits handler B (one line more: A's handler moves down)
    edited = source.format(n=2).replace("def get_b():\n", "def get_b():\n    # two now\n")
    repo.commit("feat(api): b answers 2", {APP: edited})
    data, res = check(repo)
    assert res.code == 0, [f["message"] for f in data["findings"]]
    assert rules(data, "CONTRACT007") == []
    note = inherited(data)
    assert note is not None and note["severity"] == "info"
    rows = note["data"]["inherited"]
    assert rows and {row[0] for row in rows} == {"GET /a/{id}"}
    assert any(row[2] == 404 for row in rows), rows
    assert note["message"].startswith(f"{len(rows)} conformance failure(s) are inherited")
    assert data["facts"]["contract"]["inherited"] == len(rows)
    assert repo.git("status", "--porcelain") == ""


def test_editing_the_failing_handler_makes_its_failures_the_branchs(tmp_path):
    repo = repo_with(tmp_path, FASTAPI.format(n=1))
    edited = FASTAPI.format(n=1).replace('    return {"id": id}\n',
                                         '    id = int(id)\n    return {"id": id}\n')
    assert edited != FASTAPI.format(n=1)
    repo.commit("refactor(api): a converts its id", {APP: edited})
    data, res = check(repo)
    assert res.code == 1
    assert failing_ops(data) == {"GET /a/{id}"}
    assert inherited(data) is None
    assert data["facts"]["contract"]["not_inherited"] == {
        "GET /a/{id}": "handler changed on this branch"}


def test_a_new_failure_is_the_branchs_and_the_old_one_stays_inherited(tmp_path):
    repo = repo_with(tmp_path, FLASK.format(n=1))
    repo.commit("feat(api): b answers text", {APP: FLASK.format(n='"one"')})
    data, res = check(repo)
    assert res.code == 1
    own = rules(data, "CONTRACT007")
    assert {f["data"]["operation"] for f in own} == {"GET /b"}
    assert all(f["severity"] == "error" for f in own)
    note = inherited(data)
    assert note is not None and {row[0] for row in note["data"]["inherited"]} == {"GET /a/{id}"}


def test_a_new_status_on_an_inherited_operation_makes_it_the_branchs(tmp_path):
    repo = repo_with(tmp_path, FASTAPI.format(n=1))
    # handler A untouched; a middleware (elsewhere) now answers 418 for even ids
    worse = FASTAPI.format(n=1) + '''

@app.middleware("http")
async def teapot(request, call_next):
    tail = request.url.path.rpartition("/")[2]
    if request.url.path.startswith("/a/") and tail.isdigit() and int(tail) % 2 == 0:
        from fastapi.responses import JSONResponse
        return JSONResponse({"id": 1}, status_code=418)
    return await call_next(request)
'''
    repo.commit("feat(api): a teapot", {APP: worse})
    data, res = check(repo)
    assert res.code == 1
    statuses = {f["data"]["status"] for f in rules(data, "CONTRACT007")
                if f["data"]["operation"] == "GET /a/{id}"}
    assert 418 in statuses and 404 in statuses        # the old failure is the branch's too
    assert data["facts"]["contract"]["not_inherited"]["GET /a/{id}"].startswith("worse")


def test_base_that_cannot_start_leaves_every_failure_the_branchs(tmp_path):
    broken = "raise RuntimeError('the base app needs a database')\n" + FASTAPI.format(n=1)
    repo = repo_with(tmp_path, broken)
    repo.commit("fix(api): the app starts", {APP: FASTAPI.format(n=1)})
    data, res = check(repo)
    assert res.code == 1
    assert failing_ops(data) == {"GET /a/{id}"}
    assert inherited(data) is None
    [note] = rules(data, "CONTRACT009")
    assert note["severity"] == "info"
    assert "could not tell" in note["message"] and "the base app needs a database" in \
        note["message"] and "counted as this branch's" in note["message"]
