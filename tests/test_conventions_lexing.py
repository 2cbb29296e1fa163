"""The JS/TS tokenizer and the one-line string/comment test behind the conventions check's
fast path: the places where a wrong answer would hide a finding or invent one."""

import pytest

from guard.checks.conventions import _code_at
from guard.checks.conventions.jsfacts import analyze as js_analyze
from guard.checks.conventions.jstoken import ID, NUM, REGEX, STR, TPL, tokenize
from guard.checks.conventions.pyfacts import analyze as py_analyze


def kinds(src):
    return [(t.kind, t.value) for t in tokenize(src)]


def test_comments_are_skipped_and_strings_are_one_token():
    toks = kinds("// app.listen(3000)\n/* server.listen(8080) */ x = 'app.listen(3000)';")
    assert (ID, "listen") not in toks and (NUM, "3000") not in toks
    assert (STR, "app.listen(3000)") in toks


def test_template_literals_nest_and_their_expressions_are_code():
    toks = kinds("const a = `x ${ {a: 1}.a } ${`in ${process.env.B}`} listen(3000)`;")
    assert (TPL, " listen(3000)") in toks
    assert (ID, "process") in toks and (ID, "B") in toks
    assert (NUM, "3000") not in toks
    assert toks[-1] == ("p", ";")


def test_identifier_characters():
    """ASCII letters, `_` and `$` start an identifier, digits continue one, every non-ASCII
    character (BMP or astral) does both, ASCII punctuation and spaces end one."""
    starts = set("abcxyzABCXYZ_$")
    samples = [chr(c) for c in range(0x80)] + [chr(c) for c in range(0x80, 0x110000, 997)]
    for ch in samples:
        alone = tokenize(ch)
        after = tokenize("a" + ch)
        non_ascii = ord(ch) >= 0x80
        if ch in starts or non_ascii or ch.isalpha() and ch.isascii():
            assert alone[:1] == [(ID, ch, 0)], repr(ch)
        if ch.isascii() and ch.isdigit() or ch in starts or non_ascii \
                or ch.isalpha() and ch.isascii():
            assert after[0] == (ID, "a" + ch, 0), repr(ch)
        else:
            assert after[0] == (ID, "a", 0), repr(ch)
        if ch.isascii() and ch.isdigit():
            assert alone[0].kind == NUM


@pytest.mark.parametrize("src", ["const caf\u00e9 = process.env.PORT", "let \U0001d465 = 1"])
def test_non_ascii_identifiers_are_one_token(src):
    ids = [t.value for t in tokenize(src) if t.kind == ID]
    assert ids[1] == src.split()[1]


@pytest.mark.parametrize("src, is_regex", [
    ("const r = /listen\\(3000\\)/g;", True),
    ("return /a\\/b/.test(x);", True),
    ("const d = total / count / 2;", False),
    ("const d = f(x) / 2 / y;", False),
    ("const re = /[/]listen(3000)/;", True),
])
def test_regex_versus_division(src, is_regex):
    toks = kinds(src)
    assert any(k == REGEX for k, _ in toks) is is_regex
    if is_regex:
        assert (NUM, "3000") not in toks


def test_unterminated_string_spoils_one_line_only():
    toks = kinds("<p>Don't</p>\napp.listen(3000);\n")
    assert (ID, "listen") in toks and (NUM, "3000") in toks


@pytest.mark.parametrize("line, lang, col_of, code", [
    ('print("it\'s up"); uvicorn.run(app, port=8000)', "py", "uvicorn", True),
    ('log("port 8000 via uvicorn.run")', "py", "uvicorn", False),
    ("x = 1  # uvicorn.run(app, port=8000)", "py", "uvicorn", False),
    ('s = "a#b"; uvicorn.run(app, port=8000)', "py", "uvicorn", True),
    ('s = "a\\"b"; uvicorn.run(app, port=8000)', "py", "uvicorn", True),
    ('"""doc"""; uvicorn.run(app)', "py", "uvicorn", True),           # doubt: code
    ("const h = '#'; app.listen(3000);", "js", "app.listen", True),
    ('const u = "http://x"; app.listen(3000);', "js", "app.listen", True),
    ("// app.listen(3000)", "js", "app.listen", False),
    ("const s = `app.listen(3000)`;", "js", "app.listen", False),
    ("const s = `${x}`; app.listen(3000);", "js", "app.listen", True),
    ("const s = `on ${port} app.listen(3000)`;", "js", "app.listen", False),
    ("const s = `${ {a: 1}.a } ${app.listen(3000)}`;", "js", "app.listen", True),
])
def test_code_at(line, lang, col_of, code):
    assert _code_at(line, line.index(col_of), lang) is code


def test_python_pruned_walk_keeps_name_resolution():
    src = ("import uvicorn\n\nPORT = 9000\n\n\ndef unrelated():\n    return [1, 2, 3]\n\n\n"
           "def serve():\n    uvicorn.run('a', port=PORT)\n")
    full = py_analyze(src, "src/server/x.py", job_file=False)
    pruned = py_analyze(src, "src/server/x.py", job_file=False, lines=[11])
    assert full.ports == pruned.ports
    assert pruned.ports[0].source == "literal" and pruned.ports[0].value == "9000"


def test_js_port_sources():
    facts = js_analyze("const port = Number(process.env.API_PORT ?? 3000);\napp.listen(port);\n"
                       "const FIXED = 4000;\nserver.listen(FIXED);\n"
                       "fastify.listen({ port: Number(process.env['PORT']) });\n",
                       "src/server/x.ts", job_file=False)
    assert [(p.line, p.source, p.value, p.vars) for p in facts.ports] == [
        (2, "env", "", ("API_PORT",)), (4, "literal", "4000", ()), (5, "env", "", ("PORT",))]
