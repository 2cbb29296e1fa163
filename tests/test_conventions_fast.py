"""conventions' fast paths, each held to the plain reading it replaces: candidate lines
read by whole stretches (marked_lines) against _code_at's one character at a time, and
env-file patterns behind a substring test against pathspec."""

from __future__ import annotations

import random

import pytest

import guard.checks.conventions as conv


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
