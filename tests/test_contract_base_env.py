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


# -- the base's run reads the local SQLite database the base does not commit -----------------

# a Django app on its own ignored db.sqlite3 (as `startproject` makes it): only the rows the
# database holds exist, the others are an undocumented 404 at the base and on the branch
DJ_SETTINGS = '''import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "tests-only"
DEBUG = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "site_urls"
INSTALLED_APPS: list = []
MIDDLEWARE: list = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.path.join(BASE_DIR, "db.sqlite3")}}
USE_TZ = True
'''

DJ_URLS = '''from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET


@require_GET
def get_b(request):
    return JsonResponse({{"n": {n}}})


@require_GET
def get_a(request, id):
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM item WHERE id = %s", [id])
        row = cur.fetchone()
    if row is None:
        return HttpResponse(status=404)
    return JsonResponse({{"id": row[0]}})


urlpatterns = [path("b", get_b), path("a/<int:id>", get_a)]
'''

DJ_WSGI = '''import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
'''


def test_the_base_run_reads_a_copy_of_the_local_sqlite_database(tmp_path):
    import sqlite3

    config = contract_config("    app: \"site_wsgi:application\"\n",
                             extra="    max_examples: 6\n    phases: [examples, coverage, "
                                   "fuzzing]\n")
    repo = backend_project(str(tmp_path / "p"), config=config, extra={
        CONTRACT: SPEC_A, ".gitignore": "*.sqlite3\n__pycache__/\n",
        "site_settings.py": DJ_SETTINGS, "site_wsgi.py": DJ_WSGI,
        "site_urls.py": DJ_URLS.format(n=1)})
    repo.commit("feat(api): b answers 2", {"site_urls.py": DJ_URLS.format(n=2)})
    db = os.path.join(repo.path, "db.sqlite3")       # local, ignored: a developer's data
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO item VALUES (1)")
    conn.close()
    data, res = check(repo)
    # without the database the base answered every request with Django's 500 page: nothing
    # was inherited and the branch got the 404s it did not make
    assert res.code == 0, [f["message"] for f in data["findings"]]
    assert rules(data, "CONTRACT007") == []
    [note] = [f for f in rules(data, "CONTRACT009")]
    assert "inherited" in note["message"], note["message"]
    assert {row[0] for row in note["data"]["inherited"]} == {"GET /a/{id}"}
    assert data["facts"]["contract"]["base_databases"] == ["db.sqlite3"]
    assert repo.git("status", "--porcelain") == ""


def test_local_databases_are_found_where_apps_keep_them(tmp_path):
    import sqlite3
    import subprocess

    from guard.checks.contract import appenv

    root = tmp_path / "r"
    for rel in ("db.sqlite3", "instance/app.db", "app/data.sqlite", ".venv/x.db",
                "node_modules/y.db", "instance/deep/z.db"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(root / rel).execute("CREATE TABLE t (x)").connection.close()
    (root / "notes.db").write_text("not a database\n")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / "app" / "keep.py").write_text("")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "app/keep.py"], check=True)
    listing = subprocess.run(["git", "-C", str(root), "ls-files", "--others", "--directory"],
                             capture_output=True, text=True, check=True).stdout.split()
    found = appenv.local_databases(str(root), listing)
    assert sorted(found) == ["app/data.sqlite", "db.sqlite3", "instance/app.db"], listing
    copy = tmp_path / "copy.db"
    appenv.copy_database(str(root / "instance" / "app.db"), str(copy))
    assert sqlite3.connect(copy).execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
