"""JavaScript/TypeScript source → FileFacts, from the tokenizer's significant tokens."""

from __future__ import annotations

from guard.checks.conventions.facts import EnvRead, FileFacts, Job, PortSite, norm
from guard.checks.conventions.jstoken import ID, NUM, PUNCT, STR, LineIndex, Token, tokenize
from guard.lazyre import Pattern

LISTEN_CALLS = {"listen", "serve", "createServer", "WebSocketServer", "startServer",
                "startStandaloneServer"}
JOB_CTORS = {"Worker": "BullMQ worker", "Queue": "BullMQ queue"}
JOB_METHODS = {"process": "Bull processor", "define": "Agenda job"}
_DIGITS = Pattern(r"^\d{2,5}$")
_OPEN, _CLOSE = "([{", ")]}"


def _is(tok: Token | None, kind: str, value: str | None = None) -> bool:
    return tok is not None and tok.kind == kind and (value is None or tok.value == value)


class _Analyzer:
    def __init__(self, src: str, path: str, job_file: bool) -> None:
        self.toks = tokenize(src)
        self.lines = LineIndex(src)
        self.facts = FileFacts(path)
        self.job_file = job_file
        self.env_at: dict[int, str] = {}      # token index -> env var read there
        self.decls: dict[str, int] = {}       # const/let/var name -> index of its initializer
        self.imported: dict[str, tuple[str, str]] = {}   # local name -> (specifier, name)
        self.namespaces: dict[str, str] = {}  # `import * as m` / `m = require(...)` -> specifier

    def tok(self, i: int) -> Token | None:
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def line(self, i: int) -> int:
        return self.lines.line(self.toks[i].pos)

    def match_close(self, i: int) -> int:
        """Index of the bracket closing the one at i (or the end)."""
        depth = 0
        for j in range(i, len(self.toks)):
            t = self.toks[j]
            if t.kind == PUNCT:
                if t.value in _OPEN:
                    depth += 1
                elif t.value in _CLOSE:
                    depth -= 1
                    if depth == 0:
                        return j
        return len(self.toks)

    def split_args(self, open_i: int) -> list[tuple[int, int]]:
        """(start, end) token ranges of the comma-separated items inside the bracket at open_i."""
        close = self.match_close(open_i)
        items, depth, start = [], 0, open_i + 1
        for j in range(open_i + 1, close):
            t = self.toks[j]
            if t.kind == PUNCT:
                if t.value in _OPEN:
                    depth += 1
                elif t.value in _CLOSE:
                    depth -= 1
                elif t.value == "," and depth == 0:
                    items.append((start, j))
                    start = j + 1
        if start < close:
            items.append((start, close))
        return items

    # -- env reads -------------------------------------------------------------------------
    def scan_env(self) -> None:
        t, n = self.toks, len(self.toks)
        for i in range(n):
            tok = t[i]
            if tok.kind != ID:
                continue
            if tok.value in ("const", "let", "var") and _is(self.tok(i + 1), ID) and _is(
                    self.tok(i + 2), PUNCT, "="):
                self.decls.setdefault(t[i + 1].value, i + 3)
                spec = self._required(i + 3)
                if spec is not None:
                    self.namespaces.setdefault(t[i + 1].value, spec)
                continue
            if tok.value in ("const", "let", "var") and _is(self.tok(i + 1), PUNCT, "{"):
                close = self.match_close(i + 1)         # const { PORT } = require('./config')
                spec = self._required(close + 2) if _is(self.tok(close + 1), PUNCT, "=") \
                    else None
                if spec is not None:
                    self._named(i + 1, spec, ":")
                continue
            if tok.value == "import" and not _is(self.tok(i - 1), PUNCT, ".") and not _is(
                    self.tok(i + 1), PUNCT, "(") and not _is(self.tok(i + 1), PUNCT, "."):
                self._import(i)
                continue
            base = None
            if tok.value == "process" and _is(self.tok(i + 1), PUNCT, ".") and _is(
                    self.tok(i + 2), ID, "env"):
                base, how = i + 2, "process.env"
            elif tok.value == "Bun" and _is(self.tok(i + 1), PUNCT, ".") and _is(
                    self.tok(i + 2), ID, "env"):
                base, how = i + 2, "Bun.env"
            elif tok.value == "import" and _is(self.tok(i + 1), PUNCT, ".") and _is(
                    self.tok(i + 2), ID, "meta") and _is(self.tok(i + 4), ID, "env"):
                base, how = i + 4, "import.meta.env"
            elif tok.value == "Deno" and _is(self.tok(i + 2), ID, "env") and _is(
                    self.tok(i + 4), ID, "get") and _is(self.tok(i + 5), PUNCT, "(") and _is(
                    self.tok(i + 6), STR):
                self._env(i, t[i + 6].value, "Deno.env.get")
                continue
            if base is None or _is(self.tok(i - 1), PUNCT, "."):
                continue
            nxt = self.tok(base + 1)
            if _is(nxt, PUNCT, ".") or _is(nxt, PUNCT, "?."):
                if _is(self.tok(base + 2), ID) and not self._assigned(base + 3):
                    self._env(i, t[base + 2].value, how)
            elif _is(nxt, PUNCT, "[") and _is(self.tok(base + 2), STR) and _is(
                    self.tok(base + 3), PUNCT, "]") and not self._assigned(base + 4):
                self._env(i, t[base + 2].value, how)
            elif _is(self.tok(i - 1), PUNCT, "=") and _is(self.tok(i - 2), PUNCT, "}"):
                self._destructure(i - 2, how)

    def _required(self, i: int) -> str | None:
        """The specifier of `require('<spec>')` at token i, else None."""
        if _is(self.tok(i), ID, "require") and _is(self.tok(i + 1), PUNCT, "(") and _is(
                self.tok(i + 2), STR) and _is(self.tok(i + 3), PUNCT, ")"):
            return self.toks[i + 2].value
        return None

    def _import(self, i: int) -> None:
        """`import { A, B as C } from '<spec>'`, `import * as m from '<spec>'` (a default
        import names no constant: not followed)."""
        t, n = self.toks, len(self.toks)
        j = i + 1
        while j < n and j < i + 400 and not _is(t[j], PUNCT, ";") and not (
                _is(t[j], ID, "from") and _is(self.tok(j + 1), STR)):
            j += 1
        if not (j < n and _is(t[j], ID, "from") and _is(self.tok(j + 1), STR)):
            return
        spec = t[j + 1].value
        for k in range(i + 1, j):
            if _is(t[k], PUNCT, "*") and _is(self.tok(k + 1), ID, "as") and _is(
                    self.tok(k + 2), ID):
                self.namespaces.setdefault(t[k + 2].value, spec)
            elif _is(t[k], PUNCT, "{"):
                self._named(k, spec, "as")
                break

    def _named(self, open_i: int, spec: str, rename: str) -> None:
        """The names of `{ A, B as C }` (`{ A, B: C }` in a destructuring) bound from
        ``spec``: local name -> (spec, exported name)."""
        for start, end in self.split_args(open_i):
            if _is(self.tok(start), ID, "type") and end - start > 1:
                continue                          # `import { type T }`: a type, no port
            first = self.tok(start)
            if not _is(first, ID):
                continue
            if end - start == 1:
                self.imported.setdefault(first.value, (spec, first.value))
            elif end - start == 3 and _is(self.tok(start + 1), PUNCT if rename == ":" else ID,
                                          rename) and _is(self.tok(start + 2), ID):
                self.imported.setdefault(self.toks[start + 2].value, (spec, first.value))

    def _assigned(self, i: int) -> bool:
        return _is(self.tok(i), PUNCT, "=")

    def _env(self, i: int, var: str, how: str) -> None:
        self.env_at[i] = var
        self.facts.env_reads.append(EnvRead(var, self.line(i), how))

    def _destructure(self, close_i: int, how: str) -> None:
        depth, j = 0, close_i
        while j >= 0:                       # back to the matching `{`
            v = self.toks[j].value if self.toks[j].kind == PUNCT else " "
            if v in _CLOSE:
                depth += 1
            elif v in _OPEN:
                depth -= 1
                if depth == 0:
                    break
            j -= 1
        for k in range(j + 1, close_i):
            tok = self.toks[k]
            prev, nxt = self.tok(k - 1), self.tok(k + 1)
            if tok.kind == ID and _is(prev, PUNCT) and prev.value in ("{", ",") and _is(
                    nxt, PUNCT) and nxt.value in (",", ":", "=", "}"):
                self._env(k, tok.value, how + " destructuring")

    # -- ports -----------------------------------------------------------------------------
    def classify(self, start: int, end: int, depth: int = 0):
        """(source, literal value, via, env vars) of a port expression. Source "import": a
        constant of another module, and the last item is (specifier, name) instead."""
        toks = self.toks[start:end]
        env_vars = [self.env_at[k] for k in range(start, end) if k in self.env_at]
        if env_vars:
            return "env", "", "", tuple(dict.fromkeys(env_vars))
        if len(toks) >= 3 and toks[0].kind == ID and toks[0].value in (
                "Number", "parseInt", "String") and _is(toks[1], PUNCT, "("):
            inner = self.split_args(start + 1)
            if inner:
                return self.classify(*inner[0], depth)
        if len(toks) >= 2 and _is(toks[0], PUNCT, "+"):
            return self.classify(start + 1, end, depth)
        if (len(toks) == 3 and toks[0].kind == ID and _is(toks[1], PUNCT, ".")
                and toks[2].kind == ID and toks[0].value in self.namespaces):
            # import * as config from './config'; app.listen(config.PORT)
            return "import", "", "", (self.namespaces[toks[0].value], toks[2].value)
        if (len(toks) == 3 and toks[0].kind == ID and _is(toks[1], PUNCT, ".")
                and toks[2].kind == ID and depth < 3 and toks[0].value in self.decls
                and _is(self.tok(self.decls[toks[0].value]), PUNCT, "{")):
            # const config = { port: 4000 }; app.listen(config.port)
            for key_i, item_end in self.split_args(self.decls[toks[0].value]):
                key = self.toks[key_i]
                if key.kind not in (ID, STR) or key.value != toks[2].value:
                    continue
                if _is(self.tok(key_i + 1), PUNCT, ":"):
                    value_i = key_i + 2
                elif item_end - key_i == 1 and key.kind == ID:      # shorthand { port }
                    value_i = key_i
                else:
                    continue
                source, value, _via, env_vars = self.classify(value_i, item_end, depth + 1)
                if source == "literal":
                    name = f"{toks[0].value}.{toks[2].value}"
                    return source, value, f"{name} = {value} at line {self.line(value_i)}", ()
                return source, value, "", env_vars
        if len(toks) == 1:
            tok = toks[0]
            if tok.kind in (NUM, STR) and _DIGITS.match(tok.value) and 0 < int(tok.value) < 65536:
                return "literal", tok.value, "", ()
            if tok.kind == ID and depth < 3 and tok.value in self.decls:
                init = self.decls[tok.value]
                stop = self._expr_end(init)
                source, value, _via, env_vars = self.classify(init, stop, depth + 1)
                if source == "literal":
                    return source, value, f"{tok.value} = {value} at line {self.line(init)}", ()
                return source, value, "", env_vars
            if tok.kind == ID and tok.value in self.imported:
                # import { PORT } from './config'; app.listen(PORT)
                return "import", "", "", self.imported[tok.value]
        return "unknown", "", "", ()

    def _expr_end(self, i: int) -> int:
        """End of the initializer starting at i: `;` or `,` at depth 0, or a new line."""
        depth, line = 0, self.line(i)
        for j in range(i, len(self.toks)):
            tok = self.toks[j]
            if tok.kind == PUNCT:
                if tok.value in _OPEN:
                    depth += 1
                elif tok.value in _CLOSE:
                    if depth == 0:
                        return j
                    depth -= 1
                elif tok.value in (";", ",") and depth == 0:
                    return j
            if depth == 0 and j > i and self.line(j) > line and not (
                    _is(self.toks[j - 1], PUNCT) and self.toks[j - 1].value not in _CLOSE):
                return j
        return len(self.toks)

    def scan_ports(self) -> None:
        t = self.toks
        for i, tok in enumerate(t):
            if tok.kind != ID or not _is(self.tok(i + 1), PUNCT, "("):
                continue
            if tok.value == "set":
                self._port_setting(i)
                continue
            if tok.value not in LISTEN_CALLS:
                continue
            prev = self.tok(i - 1)
            call = tok.value
            if _is(prev, PUNCT, ".") and _is(self.tok(i - 2), ID):
                call = f"{t[i - 2].value}.{tok.value}"
            args = self.split_args(i + 1)
            if tok.value == "listen" and args and not _is(self.tok(args[0][0]), PUNCT, "{"):
                self._site(call, *args[0])
            for start, end in args:
                if _is(self.tok(start), PUNCT, "{"):
                    self._object_port(call, start)

    def _port_setting(self, i: int) -> None:
        """Express `app.set('port', 5050)` ... `app.listen(app.get('port'))`: the port is
        the value set, so that is where it is classified."""
        if not (_is(self.tok(i - 1), PUNCT, ".") and _is(self.tok(i - 2), ID)):
            return
        args = self.split_args(i + 1)
        if len(args) == 2 and args[0][1] - args[0][0] == 1 and _is(
                self.tok(args[0][0]), STR, "port"):
            self._site(f"{self.toks[i - 2].value}.set('port')", *args[1])

    def _object_port(self, call: str, open_i: int) -> None:
        for start, end in self.split_args(open_i):
            key = self.tok(start)
            if key is None or key.kind not in (ID, STR) or key.value != "port":
                continue
            if end - start == 1 and key.kind == ID:          # shorthand { port }
                self._site(call, start, end)
            elif _is(self.tok(start + 1), PUNCT, ":"):
                self._site(call, start + 2, end)

    def _site(self, call: str, start: int, end: int) -> None:
        if start >= end:
            return
        source, value, via, env_vars = self.classify(start, end)
        if source == "import":
            self.facts.ports.append(PortSite(self.line(start), call, source, ref=env_vars))
            return
        self.facts.ports.append(PortSite(self.line(start), call, source, value, via, env_vars))

    # -- jobs ------------------------------------------------------------------------------
    def scan_jobs(self) -> None:
        if not self.job_file:
            return
        t = self.toks
        seen: set[tuple[str, str]] = set()
        words: set[str] = set()
        for i, tok in enumerate(t):
            if tok.kind == ID:
                words.add(tok.value)
            elif tok.kind == STR:
                nxt = self.tok(i + 1)
                if _is(nxt, PUNCT, ":"):
                    words.add(tok.value)                     # quoted object key
                if _is(self.tok(i - 1), PUNCT, "(") and _is(self.tok(i - 2), ID, "on"):
                    words.add("on_" + tok.value)             # worker.on('failed', ...)
            kind = None
            if tok.kind == ID and tok.value in JOB_CTORS and _is(self.tok(i - 1), ID, "new"):
                kind = JOB_CTORS[tok.value]
            elif tok.kind == ID and tok.value in JOB_METHODS and _is(self.tok(i - 1), PUNCT, "."):
                kind = JOB_METHODS[tok.value]
            if kind is None or not _is(self.tok(i + 1), PUNCT, "("):
                continue
            first = self.tok(i + 2)
            name = first.value if _is(first, STR) else (
                first.value if _is(first, ID) else tok.value)
            if (kind, name) in seen:
                continue
            seen.add((kind, name))
            close = self.match_close(i + 1)
            start = i - 1 if kind in JOB_CTORS.values() else i
            self.facts.jobs.append(Job(name, kind, self.line(start),
                                       self.line(min(close, len(t) - 1)), frozenset()))
        self.facts.file_evidence = {norm(w) for w in words}


def analyze(text: str, path: str, *, job_file: bool) -> FileFacts:
    analyzer = _Analyzer(text, path, job_file)
    analyzer.scan_env()
    analyzer.scan_ports()
    analyzer.scan_jobs()
    return analyzer.facts


def module_constant(text: str, path: str, name: str):
    """(source, literal value, line, env vars) of the constant ``name`` a JS/TS module
    declares (`export const PORT = 4000`, `const PORT = Number(process.env.API_PORT ??
    4000)`), as classify reads a port expression; None when it declares no such name."""
    analyzer = _Analyzer(text, path, False)
    analyzer.scan_env()
    init = analyzer.decls.get(name)
    if init is None or init >= len(analyzer.toks):
        return None
    source, value, _via, env_vars = analyzer.classify(init, analyzer._expr_end(init), 1)
    if source in ("literal", "env"):
        return source, value, analyzer.line(init), env_vars
    return None
