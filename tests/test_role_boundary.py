"""SCOPE007: a changed file importing from both server-owned and UI-owned areas is a shared
boundary, decided from its imports (real repositories, the real CLI)."""

import json

from gitrepo import backend_project, run_guard
from guard.checks.boundary import js_imports, py_imports

TSCONFIG = """{
  // the project's aliases, comments and trailing commas as tsconfig allows
  "compilerOptions": {
    "baseUrl": ".",
    "paths": {"@/*": ["./src/*"], "~server": ["./src/server/index.ts"],},
  },
}
"""


def scope(repo, *args):
    res = run_guard("check", "--format", "json", "--base", "main", "--only", "scope",
                    *args, cwd=repo.path)
    assert res.code in (0, 1), res.err
    return [f for f in json.loads(res.out)["findings"] if f["rule"] == "SCOPE007"]


def test_js_imports_through_aliases_require_and_dynamic_import(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={"tsconfig.json": TSCONFIG})
    repo.commit("feat(api): report", {"src/api/report.ts": (
        "// import Fake from '@/components/Fake'\n"
        "const s = \"import x from '@/components/InString'\";\n"
        "import { db } from '@/server/db';\n"
        "import type {\n  Chart,\n} from '@/components/Chart';\n"
        "const lazy = () => import('../components/Lazy');\n"
        "const os = require('os');\n")})
    [f] = scope(repo)
    assert f["path"] == "src/api/report.ts" and f["severity"] == "warning"
    assert "'@/server/db' (line 3, src/server/)" in f["message"]
    assert "'@/components/Chart' (line 6, src/components/)" in f["message"]
    assert f["line"] == 3


def test_python_relative_and_absolute_imports_anywhere(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: glue", {"src/lib/glue.py": (
        '"""\nimport src.components.fake\n"""\n'
        "import os, json\n"
        "from ..server.app import app  # relative to src/lib\n"
        "from src.components import widgets\n")})
    [f] = scope(repo)
    assert "'..server.app' (line 5" in f["message"]
    assert "'src.components' (line 6" in f["message"]


def test_one_side_only_or_packages_is_no_finding(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={"tsconfig.json": TSCONFIG})
    repo.commit("feat(api): orders", {
        "src/api/orders.ts": "import { db } from '~server';\nimport React from 'react';\n",
        "src/api/users.py": "from src.server.app import app\nimport django\n"})
    assert scope(repo) == []


def test_staged_pre_commit_path(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.write("src/api/mixed.js", "const a = require('../server/app');\n"
                                   "export * from '../components/Button';\n")
    repo.git("add", "-A")
    res = run_guard("check", "--staged", "--format", "json", "--only", "scope",
                    cwd=repo.path)
    [f] = [f for f in json.loads(res.out)["findings"] if f["rule"] == "SCOPE007"]
    assert "line 1" in f["message"] and "line 2" in f["message"]


def test_broken_tsconfig_is_bad_input(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={"tsconfig.json": '{\n  "a": \n}\n'})
    repo.commit("feat(api): x", {"src/api/x.ts": "import { db } from '@/server/db';\n"})
    res = run_guard("check", "--base", "main", "--only", "scope", cwd=repo.path)
    assert res.code == 2
    [line] = res.err.strip().splitlines()
    assert "tsconfig.json" in line and "line 3" in line


def test_lexers_directly():
    assert js_imports("export { a } from './a';\nimport './side.css';\n") == [
        ("./a", 1), ("./side.css", 2)]
    assert py_imports("from . import models, views as v\n") == [(".models", 1), (".views", 1)]


def test_lexers_line_numbers_and_texts_without_imports():
    # the line table is built on the first import found; a text with no import word at
    # all is not scanned (its comments and strings cannot hide one)
    text = "// x\n\n/* import './no' */\nconst a = 1;\n\nrequire('./b')"
    assert js_imports(text) == [("./b", 6)]
    assert js_imports("// a comment\nconst s = 'from ./x';\n") == []
    assert py_imports("# only a comment\nx = 'import os'\n\n\nimport a.b, c\n") == [
        ("a.b", 5), ("c", 5)]
    assert py_imports("x = 1\n") == [] and py_imports("") == []
