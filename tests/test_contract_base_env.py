"""contract: the base commit's run (for inherited conformance failures) reads the `.env`
files as the branch's run does: the base's committed ones, and the local ones it does not
commit. Real git repositories and real FastAPI apps; the base runs for real."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, check, contract_config, rules  # noqa: E402
from gitrepo import backend_project  # noqa: E402

pytestmark = pytest.mark.slow

# GET /b conforms (GET /c is replaced by GET /a/{id} below)
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

APP = "src/api/app.py"


# -- the base's run reads .env as the branch's does ------------------------------------------

# only item 1 exists: an undocumented 404 at the base and on the branch alike. The app reads
# its settings file itself at import (as pydantic-settings' env_file does).
READS_ENV = '''from fastapi import FastAPI, HTTPException

LIMIT = int(dict(line.split("=", 1) for line in open(".env").read().split())["LIMIT"])
app = FastAPI()


@app.get("/b")
def get_b():
    return {{"n": {n}}}


@app.get("/a/{{id}}")
def get_a(id: int):
    if id > LIMIT:
        raise HTTPException(404)
    return {{"id": id}}
'''

SPEC_A = SPEC.replace("  /c:\n    get:\n      responses:\n        \"200\": {description: ok}\n",
                      """  /a/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
""")


def test_the_base_run_reads_the_local_env_file_the_base_does_not_commit(tmp_path):
    config = contract_config("    app: \"src.api.app:app\"\n",
                             extra="    max_examples: 6\n    phases: [examples, coverage, "
                                   "fuzzing]\n")
    repo = backend_project(str(tmp_path / "p"), config=config, extra={
        CONTRACT: SPEC_A, "src/__init__.py": "", "src/api/__init__.py": "",
        APP: READS_ENV.format(n=1)})
    repo.commit("feat(api): b answers 2", {APP: READS_ENV.format(n=2)})
    repo.write(".env", "LIMIT=1\n")          # local, untracked: a developer's settings
    data, res = check(repo)
    assert res.code == 0, [f["message"] for f in data["findings"]]
    assert rules(data, "CONTRACT007") == []
    [note] = [f for f in rules(data, "CONTRACT009")]
    assert "inherited" in note["message"], note["message"]
    assert repo.git("status", "--porcelain") == "?? .env"


def test_the_base_run_uses_the_bases_committed_env_not_the_branchs(tmp_path):
    # the base commits LIMIT=1 and its app needs it; the branch sets LIMIT=x, which its own
    # app no longer reads. Given the branch's value, the base would not import.
    needs = "import os\nLIMIT = int(os.environ['LIMIT'])\n" + \
        READS_ENV.replace('LIMIT = int(dict(line.split("=", 1) for line in '
                          'open(".env").read().split())["LIMIT"])\n', "")
    config = contract_config("    app: \"src.api.app:app\"\n",
                             extra="    max_examples: 6\n    phases: [examples, coverage, "
                                   "fuzzing]\n")
    repo = backend_project(str(tmp_path / "p"), config=config, extra={
        CONTRACT: SPEC_A, "src/__init__.py": "", "src/api/__init__.py": "",
        APP: needs.format(n=1), ".env": "LIMIT=1\n"})
    branch = needs.replace("LIMIT = int(os.environ['LIMIT'])\n", "LIMIT = 1\n")
    repo.commit("feat(api): the limit is fixed", {APP: branch.format(n=1), ".env": "LIMIT=x\n"})
    data, res = check(repo)
    notes = [f["message"] for f in rules(data, "CONTRACT009")]
    assert len(notes) == 1 and "inherited" in notes[0], notes
    assert data["facts"]["contract"]["base_env_files"] == [".env: LIMIT"]
