"""Zero-config contract checks: the app found where the project says it (on the trusted
base), `contract.app_dir`, and `.env` loading with python-dotenv's semantics."""

import io
import os
import sys

import pytest

from guard.checks.contract import appenv, detect, envfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))
from contract_fixture import CONTRACT, check, fixture_text, rules  # noqa: E402
from gitrepo import backend_project  # noqa: E402

# -- .env ------------------------------------------------------------------------------------

ENV_CASES = [
    ("A=1\nB = two words \nC=x # comment\nD=x#kept\n",
     {"A": "1", "B": "two words", "C": "x", "D": "x#kept"}),
    ("export E=5\nF=\nG\n# comment\n\n", {"E": "5", "F": ""}),
    ('H="a\\nb"\nI=\'lit ${A}\'\nJ="${A}-x"\nA=9\nK=${A}\nL=${NOPE:-dflt}\n',
     {"H": "a\nb", "I": "lit ", "J": "-x", "A": "9", "K": "9", "L": "dflt"}),
    ('M="multi\nline"\nN=after\n', {"M": "multi\nline", "N": "after"}),
    ("O='it\\'s'\nP=\"q\\\"q\"\nQ=\"x\" # c\n", {"O": "it's", "P": 'q"q', "Q": "x"}),
    ("bad line here\nR=ok\n", {"R": "ok"}),
    ("S=${GUARD_TEST_OUTER}\nT=\"${S}y\"\n", {"S": "outer", "T": "outery"}),
    ("U=a=b\nV=  spaced  \nW=\"\"\nX=''\n", {"U": "a=b", "V": "spaced", "W": "", "X": ""}),
    ('Y="unclosed\nZ=1\n', {"Z": "1"}),
]


@pytest.mark.parametrize("text,want", ENV_CASES)
def test_env_file_reads_as_python_dotenv(text, want):
    environ = {"GUARD_TEST_OUTER": "outer"}
    assert envfile.values(text, environ) == want
    try:
        import dotenv
    except ImportError:          # the reference is installed with the test extra's apps
        return
    old = os.environ.get("GUARD_TEST_OUTER")
    os.environ["GUARD_TEST_OUTER"] = "outer"
    try:
        ref = dotenv.dotenv_values(stream=io.StringIO(text))
    finally:
        if old is None:
            del os.environ["GUARD_TEST_OUTER"]
    assert {k: v for k, v in ref.items() if v is not None} == want


def test_env_file_reports_lines_it_skips():
    parsed = envfile.parse("A=1\nnot a line\nB='x' trailing\nC=2\n")
    assert [e.key for e in parsed.entries] == ["A", "C"]
    assert parsed.bad_lines == (2, 3)


def test_app_env_never_overrides_the_environment_nor_picks_the_app(tmp_path):
    (tmp_path / "backend").mkdir()
    (tmp_path / ".env").write_text("A=root\nB=root\nDJANGO_SETTINGS_MODULE=stub\n")
    (tmp_path / "backend" / ".env").write_text("A=backend\n")
    (tmp_path / ".flaskenv").write_text("B=flaskenv\nC=flaskenv\nFLASK_APP=stub\n")
    added, notes = appenv.compose(str(tmp_path), "backend",
                                  {"DJANGO_SETTINGS_MODULE": "site.settings"},
                                  {"C": "real"})
    assert added == {"DJANGO_SETTINGS_MODULE": "site.settings", "A": "backend", "B": "root"}
    assert any("DJANGO_SETTINGS_MODULE ignored" in n for n in notes)
    before = dict(os.environ)
    with appenv.applied(added, str(tmp_path / "backend")):
        assert os.environ["A"] == "backend" and os.getcwd() == str(tmp_path / "backend")
    assert dict(os.environ) == before


# -- detection on file contents ----------------------------------------------------------------

FASTAPI = b"from fastapi import FastAPI\n\napp = FastAPI()\n"
FLASK = b"from flask import Flask\n\nweb = Flask(__name__)\n"


def found(files, app_dir=None):
    got = detect.detect({k: v if isinstance(v, bytes) else v.encode()
                         for k, v in files.items()}.get, app_dir)
    return [(f.app, f.app_dir, f.file, f.line) for f in got.found]


@pytest.mark.parametrize("files,want", [
    ({".flaskenv": "FLASK_APP=hello.py\n", "hello.py": FLASK}, ("hello:web", "", ".flaskenv")),
    ({".flaskenv": "# x\nFLASK_APP=pkg:create_app('dev')\n"},
     ("pkg:create_app('dev')", "", ".flaskenv")),
    ({".flaskenv": "FLASK_APP=wrong\n", ".env": "FLASK_APP=right:app\n"},
     ("right:app", "", ".env")),
    ({".flaskenv": "FLASK_APP=site\n",
      "site/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask('x')\n"},
     ("site:create_app()", "", ".flaskenv")),
    ({"manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
      "proj/settings.py": "WSGI_APPLICATION = 'proj.wsgi.application'\n"},
     ("proj.wsgi:application", "", "manage.py")),
    ({"manage.py": "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"cfg.settings.dev\")\n",
      "cfg/settings/dev.py": "from .base import *\n", "cfg/wsgi.py": "application = 1\n"},
     ("cfg.wsgi:application", "", "manage.py")),
    ({"backend/manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dj_settings')\n"},
     ("django.core.wsgi:get_wsgi_application()", "backend", "backend/manage.py")),
    ({"pyproject.toml": "[tool.poe.tasks]\ndev = \"uvicorn svc.api:make_app() --reload\"\n"},
     ("svc.api:make_app()", "", "pyproject.toml")),
    ({"Procfile": "web: gunicorn -w 4 -k uvicorn.workers.UvicornWorker -b 0.0.0.0:80 m:api\n"},
     ("m:api", "", "Procfile")),
    ({"Procfile": "web: gunicorn mysite.wsgi --log-file -\n"},
     ("mysite.wsgi:application", "", "Procfile")),
    ({"backend/pyproject.toml":
      "[project]\nname='x'\n[project.scripts]\nserve = \"app.cli:main\"\n",
      "backend/app/cli.py": "import uvicorn\ndef main():\n    uvicorn.run('app.main:app')\n"},
     ("app.main:app", "backend", "backend/pyproject.toml")),
    ({"pyproject.toml": "[tool.x]\ncmd = 'fastapi run src/api.py'\n", "src/api.py": FASTAPI},
     ("src.api:app", "", "pyproject.toml")),
    ({"wsgi.py": "from app import create_app\napplication = create_app()\n", "main.py": FASTAPI},
     ("wsgi:application", "", "wsgi.py")),
    ({"backend/app/main.py": FASTAPI}, ("app.main:app", "backend", "backend/app/main.py")),
    ({"app.py": FLASK, "README.md": "uvicorn x:y"}, ("app:web", "", "app.py")),
])
def test_detects_what_the_project_says(files, want):
    [(app, app_dir, file, line)] = found(files)
    assert (app, app_dir, file) == want
    assert line


def test_declared_beats_conventional_and_app_dir_narrows():
    files = {".flaskenv": "FLASK_APP=hello\n", "hello.py": FLASK, "main.py": FASTAPI,
             "svc/main.py": FASTAPI}
    assert [f[0] for f in found(files)] == ["hello:web"]
    assert found(files, "svc") == [("main:app", "svc", "svc/main.py", 3)]


def test_two_apps_at_the_same_level_are_ambiguous():
    got = detect.detect({"main.py": FASTAPI, "app/main.py": FASTAPI}.get)
    assert got.app is None and {f.app for f in got.found} == {"main:app", "app.main:app"}
    assert detect.detect({"main.py": b"print('no app')\n"}.get).found == ()
    assert "manage.py" in detect.detect({}.get).tried_text


# -- the check, end to end -------------------------------------------------------------------

def repo_with(tmp_path, files, contract="    max_examples: 5\n"):
    config = ("personas:\n  engineering_backend: Casey\n"
              "guard:\n  role: backend\n  contract:\n    path: " + CONTRACT + "\n" + contract)
    files = {CONTRACT: fixture_text("openapi.yaml"), **files}
    return backend_project(str(tmp_path / "p"), config=config, extra=files)


@pytest.mark.slow
def test_fastapi_in_backend_found_with_its_dotenv_and_folder(tmp_path):
    # the full-stack template's layout: backend/app/main.py, settings read from ../.env
    main = ("import os\n"
            "assert os.path.basename(os.getcwd()) == 'backend', os.getcwd()\n"
            "assert open('../.env').read() and os.environ['APP_SECRET'] == 's3'\n"
            + fixture_text("fastapi_good", "app.py"))
    repo = repo_with(tmp_path, {"backend/app/__init__.py": "", "backend/app/main.py": main})
    repo.write(".env", "APP_SECRET='s3' # not committed\n")
    repo.commit("feat(api): work", {"src/api/notes.md": "x\n"}, add_all=False)
    data, res = check(repo)
    assert res.code == 0, data["findings"]
    facts = data["facts"]["contract"]
    assert facts["app"].startswith("app.main:app (found: a conventional place, "
                                   "backend/app/main.py:")
    assert facts["tested"] == 4 and facts["routes"] == 4
    assert facts["env_files"] == [".env: APP_SECRET"]
    assert "APP_SECRET" not in os.environ


@pytest.mark.slow
def test_branch_edit_of_flaskenv_does_not_pick_the_app(tmp_path):
    repo = repo_with(tmp_path, {".flaskenv": "FLASK_APP=real_app\n",
                                "real_app.py": fixture_text("flask_bad", "app.py")})
    repo.commit("feat(api): a conforming stand-in", {
        ".flaskenv": "FLASK_APP=stub\n", "stub.py": fixture_text("flask_good", "app.py")})
    data, res = check(repo)
    # the real app's deviations, not the stub's pass: the base has the same app, untouched,
    # so they come as inherited (CONTRACT009) or, where the base run could not tell, as the
    # branch's own (CONTRACT007) — never as a clean run of the stub
    inherited = [f for f in rules(data, "CONTRACT009") if f["data"].get("inherited")]
    assert rules(data, "CONTRACT007") or inherited, data["findings"]
    assert data["facts"]["contract"]["app"].startswith("real_app:app (found: .flaskenv")
    [moved] = [f for f in rules(data, "CONTRACT001") if "changes where the app" in f["message"]]
    assert "stub:app" in moved["message"] and "real_app:app" in moved["message"]


def test_django_found_from_manage_py(tmp_path):
    files = {name: fixture_text("django_site", name) for name in ("dj_settings.py", "dj_urls.py")}
    files["manage.py"] = ("import os\n\nif __name__ == '__main__':\n"
                          "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dj_settings')\n")
    repo = repo_with(tmp_path, files, "    max_examples: 5\n"
                                      "    include: [\"GET /items/{item_id}\"]\n")
    repo.commit("feat(api): work", {"src/api/notes.md": "x\n"})
    data, res = check(repo)
    # the site is on the base, untouched: its route gaps are inherited, not the branch's
    assert res.code == 0, data["findings"]
    [gaps] = rules(data, "CONTRACT010")
    assert sorted(map(tuple, gaps["data"]["inherited"])) == [
        ("missing", "DELETE /orders/{order_id}"), ("undocumented", "ANY /stats/{day}/")]
    assert "manage.py DJANGO_SETTINGS_MODULE=dj_settings" in data["facts"]["contract"]["app"]


def test_ambiguous_or_absent_app_says_what_was_tried(tmp_path):
    app = fixture_text("fastapi_good", "app.py")
    repo = repo_with(tmp_path, {"main.py": app, "app/__init__.py": "", "app/main.py": app})
    repo.commit("feat(api): work", {"src/api/notes.md": "x\n"})
    data, res = check(repo)
    assert res.code == 1
    [err] = rules(data, "CONTRACT008")
    assert "main:app" in err["message"] and "app.main:app" in err["message"]
    assert "does not guess" in err["message"] and 'app: "' in err["hint"]
    other = repo_with(tmp_path / "q", {})
    other.commit("feat(api): work", {"src/api/notes.md": "x\n"})
    data, res = check(other)
    assert res.code == 0
    [info] = rules(data, "CONTRACT001")
    assert "found no app" in info["message"] and "manage.py" in info["message"]
    assert 'app: "package.module:app"' in info["hint"]


def test_app_dir_outside_the_repository_is_exit_2(tmp_path):
    from gitrepo import run_guard
    repo = repo_with(tmp_path, {}, "    app_dir: ../elsewhere\n")
    repo.commit("feat(api): work", {"src/api/notes.md": "x\n"})
    res = run_guard("check", "--only", "contract", "--base", "main", cwd=repo.path)
    assert res.code == 2 and "app_dir '../elsewhere' is not a folder inside" in res.err
