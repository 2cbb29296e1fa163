"""CONV012: the app a start command names is a module and attribute of the branch."""

import json

import pytest

from gitrepo import Repo, backend_project, run_guard
from guard.checks.conventions import entrypoint


def conv(repo):
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "conventions",
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return [f for f in json.loads(res.out)["findings"] if f["rule"] == "CONV012"]


@pytest.fixture
def repo(tmp_path):
    return backend_project(str(tmp_path / "project"), extra={
        "src/__init__.py": "", "src/api/__init__.py": "",
        "src/api/http.py": "def app(environ, start_response):\n    return []\n"})


START = "import uvicorn\n\n\ndef main():\n    uvicorn.run({target!r}, port=PORT)\n"


def test_uvicorn_run_names_a_module_that_is_not_there(repo):
    repo.commit("feat(server): start", {"src/server/main.py":
                                        START.format(target="src.server.web:app")})
    [f] = conv(repo)
    assert f["path"] == "src/server/main.py" and f["line"] == 5
    assert "module src.server.web is not on the branch" in f["message"]


def test_uvicorn_run_names_an_attribute_the_module_lacks(repo):
    # the demo's old bug: src/server/app.py exists, but defines no `app`
    repo.commit("feat(server): start", {"src/server/main.py":
                                        START.format(target="src.api.http:application")})
    [f] = conv(repo)
    assert "src/api/http.py defines no top-level application" in f["message"]


def test_existing_and_imported_apps_pass(repo):
    repo.commit("feat(server): start", {
        "src/server/main.py": START.format(target="src.api.http:app"),
        "src/server/asgi.py": "from src.api.http import app as api\n",
        "src/server/run.py": START.format(target="src.server.asgi:api"),
        "src/server/factory.py": START.format(target="src.api.http:app()")})
    assert conv(repo) == []


def test_command_lines_in_procfile_dockerfile_compose(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={
        "src/api/http.py": "app = object()\n"})
    repo.commit("feat(server): start commands", {
        "Procfile": "web: gunicorn src.api.wsgi:application --bind 0.0.0.0:$PORT\n",
        "scripts/start.sh": "#!/bin/sh\nexec uvicorn --app-dir src api.http:app \\\n"
                            "  --port \"$API_PORT\"\n",
        "src/server/Dockerfile": 'CMD ["uvicorn", "src.api.http:app", "--host", "0.0.0.0"]\n',
        "src/server/compose.yml": "services:\n  api:\n    command: gunicorn -b unix:api.sock "
                                  "-k uvicorn.workers.UvicornWorker src.api.http:app\n"})
    found = conv(repo)
    assert [(f["path"], f["line"]) for f in found] == [("Procfile", 1)]
    assert "src.api.wsgi" in found[0]["message"]


def test_manage_py_runserver_settings_module(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(server): django", {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                     "'shop.settings')\n",
        "scripts/dev.sh": "python manage.py runserver 0.0.0.0:$API_PORT\n"})
    [f] = conv(repo)
    assert "settings module shop.settings" in f["message"] and f["path"] == "scripts/dev.sh"
    repo.commit("feat(server): settings", {"shop/__init__.py": "",
                                           "shop/settings.py": "DEBUG = False\n"})
    assert conv(repo) == []


def test_demo_entry_point_is_real_and_a_broken_one_is_caught(tmp_path):
    from guard import demo
    root = str(tmp_path)
    demo.build(root)
    repo = Repo(root)
    assert conv(repo) == []
    text = repo.git("show", "HEAD:src/server/app.py")
    repo.commit("refactor(server): start the server app",
                {"src/server/app.py": text.replace("src.api.http:app", "src.server.app:app")
                 + "\n"})
    [f] = conv(repo)
    assert "src/server/app.py defines no top-level app" in f["message"]


@pytest.mark.parametrize("source,attr,expected", [
    (b"app = 1\n", "app", True),
    (b"def app(): pass\n", "app", True),
    (b"class app: pass\n", "app", True),
    (b"from x import y as app\n", "app", True),
    (b"from x import *\n", "app", True),
    (b"try:\n    from a import app\nexcept ImportError:\n    app = None\n", "app", True),
    (b"def main():\n    app = 1\n", "app", False),
    (b"def broken(:\n", "app", None),
])
def test_defines(source, attr, expected):
    assert entrypoint.defines(source, attr) is expected
