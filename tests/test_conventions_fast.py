"""conventions' fast paths, each held to the plain reading it replaces: candidate lines
read by whole stretches (marked_lines) against _code_at's one character at a time;
env-file patterns behind a substring test against pathspec; and on large changes, git's
search of the changed blobs (bulk.py) against the reference survey that reads every file
into Python, on the same real repositories."""

from __future__ import annotations

import os
import random

import pytest

from gitrepo import backend_project

import guard.checks.conventions as conv
from guard import context

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "conventions")


# -- the line decision --------------------------------------------------------------------
def _original_marked(line: str, pattern, lang: str) -> bool:
    """code_marks' decision for one line as first written: every match, through _code_at
    (the specification: one character at a time)."""
    if line.lstrip().startswith(("import ", "from ")):
        return False
    if pattern.search(line) is None:
        return False
    return any(conv._code_at(line, m.start(), lang) for m in pattern.finditer(line))


PIECES = {
    "py": ["environ", "os.environ['X']", "getenv(", "port", "port=8000", " ", "  ", "#", "'",
           '"', "\\", '"""', "'''", "run(", "run (", "bind", "x", "=", "(", ")", "import ",
           "from ", "\t", "\x0c", "\u00a0", "é", "HTTPServer", "--port", "serve(", "a_bind"],
    "js": ["process.env.X", "process", "listen(", "listen (", "port:", "port", " ", "//", "/*",
           "*/", "*", "'", '"', "`", "${", "}", "{", "\\", "x", "=", "import ", "from ",
           "Bun.env", "import.meta", "serve(", "Server(", "\t", "é", "/", "a.port,"],
}


@pytest.mark.parametrize("lang", ["py", "js"])
def test_marked_lines_match_the_original_reading(lang):
    pattern = conv.PY_MARK if lang == "py" else conv.JS_MARK
    rnd = random.Random(20261126)
    pieces = PIECES[lang]
    lines = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 14)))
             for _ in range(40_000)]
    lines += ['    note = "listening on port 8000, os.environ[\'NOT_READ\'] in a string"',
              "    # uvicorn.run(app, port=8000)", "x = 'a\\' + os.environ['B']",
              "  const note = `listen(${limit}) on process.env.NOT_READ`;",
              "// app.listen(3000)", "s = 'abc\\", 'f(r"\\", environ)']
    if lang == "js":      # template literals nest: brace counting inside `${ ... }`
        nest = ["`", "${", "}", "{", "process", " x", "'", "\\", "//", "listen("]
        lines += ["".join(rnd.choice(nest) for _ in range(rnd.randint(0, 18)))
                  for _ in range(40_000)]
    numbered = list(enumerate(lines, 1))
    want = [n for n, line in numbered if _original_marked(line, pattern, lang)]
    assert conv.marked_lines(numbered, pattern, lang) == want
    assert 1000 < len(want) < len(lines) - 1000      # both answers occur often


# -- env-file patterns -------------------------------------------------------------------
@pytest.mark.parametrize("patterns", [
    (".env", ".env.local", ".env.*.local", ".env.production", ".env.prod"),
    ("config/*.env", "!config/dev.env", "**/secrets/", "/top.env", "deploy/**/prod.env"),
    ("*.pem", "a?b/", "[ab].env"),            # a bracket: no substring test at all
    ("!x.env", "x*"),
])
def test_env_file_patterns_answer_as_pathspec(patterns):
    from guard.patterns import PatternSet, Source
    pats = PatternSet(tuple(Source(p, "t", 1, "env-file") for p in patterns))
    needed = conv._Needed(pats)
    rnd = random.Random(7)
    parts = [".env", ".local", ".prod", "uction", "config", "dev", "secrets", "top", "prod",
             "deploy", "x", "a", "b", "ab", ".pem", "/", "/", "/", ".", "-"]
    for _ in range(20_000):
        path = "".join(rnd.choice(parts) for _ in range(rnd.randint(1, 7))).strip("/")
        if not path or "//" in path:
            continue
        assert needed.decide(path) == pats.decide(path), path


# -- the two surveys on real repositories ---------------------------------------------------
from test_conventions import _files  # noqa: E402  (a fixture tree as {path: bytes})


def both(repo, **options) -> list:
    """The findings of the bulk survey, asserted equal to the reference survey's."""
    ctx = context.build(context.Options(repo=repo.path, base="main", **options), env={})
    saved = conv.BULK_MIN
    try:
        conv.BULK_MIN = 10 ** 9
        reference = sorted(conv.run(ctx), key=lambda f: f.sort_key())
        conv.BULK_MIN = 0
        bulk = sorted(conv.run(ctx), key=lambda f: f.sort_key())
    finally:
        conv.BULK_MIN = saved
    assert bulk == reference
    return bulk


def rules_at(findings) -> set:
    return {(f.rule, f.path, f.line) for f in findings}


CASES = sorted(d for d in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, d)))


@pytest.mark.parametrize("case", CASES)
def test_every_fixture_the_same_through_git(tmp_path, case):
    base_dir = os.path.join(FIXTURES, case, "base")
    repo = backend_project(str(tmp_path / "p"),
                           extra=_files(base_dir) if os.path.isdir(base_dir) else {})
    repo.commit(f"feat: {case}", _files(os.path.join(FIXTURES, case, "branch")))
    found = both(repo)
    assert found or case.endswith("-pass")


def test_all_fixtures_at_once_and_staged(tmp_path):
    files = {}
    for case in CASES:
        files.update(_files(os.path.join(FIXTURES, case, "branch")))
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: many", files)
    assert len(both(repo)) > 10
    for path, data in files.items():            # the same change, staged instead
        repo.write(path, data + b"\n# staged\n" if path.endswith(".py") else data)
    repo.git("add", "-A")
    both(repo, staged=True)


STRIPE = "sk_live_" + "51Hx9aQ2eZvKYlo2C8tPq7Rw"
BASE = {
    # a secret already on main: a change elsewhere in the file must not report it
    "config/server/app.yaml": f"name: shop\nstripe: {STRIPE}\nretries: 3\n",
    "tests/api/fixture_keys.py": f"KEY = '{STRIPE}'\nOTHER = 1\n",
    # lines moved around: git reports the moved line as added
    "src/server/moved.py": f"import os\n\nA = 1\nB = 2\nC = 3\nSTRIPE = '{STRIPE}'\n",
    # renamed with a change, and renamed as is
    "src/server/old_name.py": "import os\n\nX = 1\n",
    "src/api/same.py": f"TOKEN = '{STRIPE}'\nPORT = os.environ['API_PORT']\n",
    "src/server/latin1.py": "# caf\xe9\nimport os\n".encode("latin-1"),
    "src/server/feed.py": "import os\n\x0c\nA = 1\n\x0c\nB = 2\n",
}
BRANCH = {
    "config/server/app.yaml": f"name: shop\nstripe: {STRIPE}\nretries: 5\n"
                              f"backup_stripe: {STRIPE.replace('5', '6')}\n",
    "tests/api/fixture_keys.py": f"KEY = '{STRIPE}'\nOTHER = 2\nNEW = 'ghp_{'a' * 36}'\n",
    "src/server/moved.py": f"import os\n\nSTRIPE = '{STRIPE}'\nA = 1\nB = 2\nC = 3\n",
    "src/server/new_name.py": "import os\n\nX = 1\nY = os.environ['RENAMED_VAR']\n"
                              "app.run(port=9000)\n",
    "src/api/moved/same.py": f"TOKEN = '{STRIPE}'\nPORT = os.environ['API_PORT']\n",
    # not UTF-8: a Latin-1 file with a secret and an env read on added lines
    "src/server/latin1.py": ("# caf\xe9\nimport os\nX = os.environ['LATIN_VAR']  # \xe9\n"
                             f"S = '{STRIPE}'\n").encode("latin-1"),
    # form feeds: line numbers count \n only
    "src/server/feed.py": "import os\n\x0c\nA = 1\n\x0c\nB = os.environ['FEED_VAR']\n",
    "src/server/crlf.ts": "const a = 1;\r\nconst port = process.env.CRLF_PORT;\r\n"
                          "app.listen(4000);\r\n",
    # the Kelvin sign lower-cases to k: a generic key only str.lower finds
    "config/server/kelvin.yaml": "api_\u212aey: Zx8Qw3Er5Ty7Ui9Op1As\n",
    # İ lower-cases to two characters, shifting offsets in the lower-cased text
    "config/server/dotted.yaml": "title: \u0130stanbul \u0130zmir\npassword: hunter2hunter2\n",
    "config/server/aws.ini": "AWs_Secret_Access_Key =\n"
                             "  wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEYQ\n"
                             "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzABCDEFGHIJ\n",
    "docs/notes.md": "a slack token xoxb-1234567890-abcdefghij in the docs\n",
    # binary: a NUL early on, a token after it
    "src/server/blob.py": b"\x00\x01" + f"S = '{STRIPE}'\nos.environ['BIN']\n".encode(),
    # JS_ALWAYS across lines, PY_ALWAYS in a comment
    "src/server/destructure.ts": "const {\n  SPLIT_PORT,\n} =\n  process.env;\n"
                                 "app.listen(SPLIT_PORT);\n",
    "src/server/settings.py": "# pydantic BaseSettings would read APP_NAME\n"
                              "from pydantic_settings import BaseSettings\n\n\n"
                              "class Settings(BaseSettings):\n    app_name: str = 'x'\n",
    # names with spaces, a newline, a colon, non-UTF-8 bytes
    "src/server/with space.py": "import os\nV = os.environ['SPACE_VAR']\n",
    "src/server/new\nline.ts": "app.listen(3000);\n",
    "src/server/co:lon.py": "import os\nV = os.getenv('COLON_VAR')\n",
    b"src/server/caf\xe9.py": b"import os\nV = os.environ['BYTES_NAME_VAR']\n",
    # start scripts, jobs, a committed .env
    "src/server/start.sh": "#!/bin/sh\nexec uvicorn app:app --port 8000\n",
    "scripts/quiet.sh": "#!/bin/sh\necho hello\n",
    "src/jobs/mail.py": "from .celery_app import app\n\n\n@app.task\ndef send(order_id):\n"
                        "    return order_id\n",
    "src/jobs/queue.ts": "import { Worker } from 'bullmq';\nconst w = new Worker('mail', async "
                         "(job) => job.data);\n",
    ".env": "API_PORT=8000\nSECRET_KEY=Zx8Qw3Er5Ty7Ui9Op1As\n",
    # traps: rule words in strings and comments only
    "src/server/traps.py": "def f():\n    # uvicorn.run(app, port=8000)\n"
                           "    return \"os.environ['NOT_READ'] port=1\"  # run(x)\n",
    "src/server/traps.ts": "// app.listen(3000)\nconst s = `listen(${a}) process.env.NOT_READ`;\n"
                           "const r = /listen\\(3000\\)/;\n",
}


def test_edge_cases_the_same_through_git(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra=BASE)
    os.symlink("start.sh", os.path.join(repo.path, "src/server/link.sh"))
    repo.git("rm", "-q", "src/server/old_name.py", "src/api/same.py")
    repo.commit("feat: edge cases", BRANCH)
    found = rules_at(both(repo))
    # a secret on an unchanged line is not reported; on an added line it is
    assert ("CONV009", "config/server/app.yaml", 2) not in found
    assert ("CONV009", "config/server/app.yaml", 4) in found
    assert ("CONV009", "tests/api/fixture_keys.py", 1) not in found
    assert ("CONV009", "tests/api/fixture_keys.py", 3) in found
    # renamed: the changed lines of the renamed file count, a rename alone adds nothing
    assert ("CONV004", "src/server/new_name.py", 4) in found
    assert ("CONV001", "src/server/new_name.py", 5) in found
    assert not any(path == "src/api/moved/same.py" for _, path, _ in found)
    assert ("CONV009", "src/server/latin1.py", 4) in found
    assert ("CONV004", "src/server/latin1.py", 3) in found
    assert ("CONV004", "src/server/feed.py", 5) in found
    assert ("CONV009", "config/server/kelvin.yaml", 1) in found
    assert ("CONV009", "docs/notes.md", 1) in found
    assert not any(path == "src/server/blob.py" for _, path, _ in found)
    assert not any(path.startswith("src/server/traps") for _, path, _ in found)
    for path in ("src/server/with space.py", "src/server/co:lon.py",
                 "src/server/caf\udce9.py"):
        assert any(rule == "CONV004" and p == path for rule, p, _ in found), path
    assert ("CONV001", "src/server/new\nline.ts", 1) in found
    assert ("CONV001", "src/server/start.sh", 2) in found
    assert ("CONV010", ".env", None) in found
    assert ("CONV006", "src/jobs/mail.py", 4) in found


def test_a_file_too_big_to_parse_the_same_through_git(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: generated", {"src/api/generated.py": "x = 1\n" * 400_000 + "p = 1\n",
                                    "src/api/small.py": "import os\nA = os.getenv('A_VAR')\n"})
    assert rules_at(both(repo)) >= {("CONV011", "src/api/generated.py", 1)}


def test_without_pcre_the_reference_runs(tmp_path, monkeypatch):
    """A git built without PCRE (or any search git cannot run) is not a silent pass: the
    bulk survey gives up and the reference survey runs instead."""
    from guard.checks.conventions import bulk
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: port", {"src/server/main.py": "app.run(port=8000)\n",
                               "config/server/a.yaml": f"key: {STRIPE}\n"})
    monkeypatch.setitem(bulk.GREP, "py", (("py",), "-n", "(unbalanced"))
    assert rules_at(both(repo)) == {("CONV001", "src/server/main.py", 1),
                                    ("CONV009", "config/server/a.yaml", 1),
                                    ("CONV008", "src/server/main.py", None)}


def test_the_scratch_index_leaves_nothing_behind(tmp_path, monkeypatch):
    import glob
    import tempfile
    # a private temp folder: guard runs in other test processes (pytest -n) make their own
    os.makedirs(tmp_path / "tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat: port", {"src/server/main.py": "app.run(port=8000)\n"})
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "guard-index-*")))
    objects = repo.git("count-objects", "-v")
    both(repo)
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "guard-index-*"))) == before
    assert repo.git("count-objects", "-v") == objects       # nothing written to the repo
    assert repo.git("status", "--porcelain") == ""
