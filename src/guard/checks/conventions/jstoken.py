"""A small JavaScript/TypeScript tokenizer: enough structure for the conventions rules.

It yields identifiers, numbers, strings, template-literal text and punctuation, and skips
comments, so `// app.listen(3000)` or `"process.env.X"` never look like code. The hard
parts of JavaScript's lexical grammar are handled:
- template literals with nested `${ ... }` expressions (a stack of brace depths);
- regex literals versus division (decided by the previous significant token, as the
  language does: after an operand `/` divides, elsewhere it starts a regex literal);
- strings end at an unescaped newline, so a stray quote (JSX text such as `Don't`) can spoil
  at most the rest of its line.
Tree-sitter was evaluated as the alternative (see the commit message); this needs no
dependency and is as fast on the files a change touches.
"""

import bisect
import re
from typing import NamedTuple

from guard.lazyre import Pattern

ID, NUM, STR, TPL, PUNCT, REGEX = "id", "num", "str", "tpl", "p", "re"


class Token(NamedTuple):
    kind: str
    value: str
    pos: int


_SKIP = Pattern(r"(?:[\s\ufeff]+|//[^\n]*|/\*.*?(?:\*/|\Z))*", re.S)
# An identifier: ASCII letters, `_`, `$` (and digits after the first character) plus every
# non-ASCII character, as negated ASCII classes: a class with the range \u0080-\uffff costs
# `re` a Python loop over 65,000 code points to compile (~6 ms of every run that reads JS)
_CODE = Pattern(r"""
  (?P<id>[^\x00-\x23\x25-\x40\x5b-\x5e\x60\x7b-\x7f][^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*)
| (?P<num>0[xXbBoO][0-9a-fA-F_]+n?|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?n?)
| (?P<str>'(?:[^'\\\n]|\\.|\\\n)*'?|"(?:[^"\\\n]|\\.|\\\n)*"?)
| (?P<p>=>|\.\.\.|\?\?=?|\?\.(?!\d)|[=!]==?|<<=?|>>>?=?|[<>]=?|&&=?|\|\|=?|\*\*=?|[-+*%&|^]=?
       |[{}()\[\];,:?~.@\#`]|[^\s])
""", re.X | re.S)
_TPL_TEXT = Pattern(r"(?:[^`\\$]|\\.|\$(?!\{))*", re.S)
_REGEX = Pattern(r"/(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[A-Za-z]*")
_ESC = Pattern(r"\\(.)", re.S)

# After these keywords an expression starts, so `/` opens a regex literal.
_EXPR_KEYWORDS = frozenset(("return", "typeof", "instanceof", "in", "of", "new", "delete",
                            "void", "throw", "case", "do", "else", "yield", "await"))


def _unquote(raw: str) -> str:
    body = raw[1:-1] if len(raw) >= 2 and raw[-1] == raw[0] else raw[1:]
    return _ESC.sub(r"\1", body) if "\\" in body else body


def tokenize(src: str) -> list[Token]:
    """The significant tokens of ``src``; never raises on malformed input."""
    out: list[Token] = []
    append = out.append
    n = len(src)
    pos = 0
    if src.startswith("#!"):
        pos = src.find("\n") if "\n" in src else n
    braces: list[int] = []        # open `{` count per template nesting level
    depth = 0                     # open `{` in the current code level
    skip, code = _SKIP.match, _CODE.match
    while True:
        pos = skip(src, pos).end()
        if pos >= n:
            break
        ch = src[pos]
        if ch == "/":
            prev = out[-1] if out else None
            if prev is None or (prev.kind == PUNCT and prev.value not in (")", "]", "}")) or (
                    prev.kind == ID and prev.value in _EXPR_KEYWORDS):
                m = _REGEX.match(src, pos)
                if m:
                    append(Token(REGEX, m.group(), pos))
                    pos = m.end()
                    continue
        elif ch == "`" or (ch == "}" and braces and depth == 0):
            # template text: from an opening backtick, or resuming after `${ ... }`
            if ch == "}":
                depth = braces.pop()
            start = pos
            m = _TPL_TEXT.match(src, pos + 1)
            pos = m.end()
            append(Token(TPL, m.group(), start))
            if pos < n and src[pos] == "$":        # `${`: into an expression
                braces.append(depth)
                depth = 0
                pos += 2
            else:                                  # closing backtick (or end of input)
                pos += 1
            continue
        m = code(src, pos)
        kind = m.lastgroup
        text = m.group()
        if kind == "p":
            if text == "{":
                depth += 1
            elif text == "}":
                depth -= 1
            append(Token(PUNCT, text, pos))
        elif kind == "str":
            append(Token(STR, _unquote(text), pos))
        else:
            append(Token(ID if kind == "id" else NUM, text, pos))
        pos = m.end()
    return out


class LineIndex:
    """Position → 1-based line number."""

    def __init__(self, src: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", src)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)
