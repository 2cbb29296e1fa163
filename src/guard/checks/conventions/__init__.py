"""conventions: the seed's server-side rules that code can be held to — ports, environment
variables, background jobs, tests alongside changes, secrets.

Reads only what the branch changed, at the head revision (the index in --staged mode),
through one batched `git cat-file`: Python through `ast`, JavaScript/TypeScript through a
tokenizer that skips strings, template literals, comments and regex literals. Findings on
code are limited to the lines the branch changed (every line of an added file), so an agent
is held to what it wrote, not to what it found. A file is parsed only when it holds one of
the words a rule looks for (a byte search first), which keeps a 20,000-file change fast. On
a change of BULK_MIN files or more, git itself searches the changed files for those words
and for credentials (bulk.py), and only the files it names are read into Python. The
other modules a rule looks into — the module a listen call's port constant is imported
from, the app a job file's tasks come from — are read at the head revision in one more
batched `git cat-file`, only for the sites on changed lines that name one.
"""

from __future__ import annotations

import gc
import posixpath
import re
from typing import Iterator

from guard import parallel
from guard.checks.conventions import envfile, rules
from guard.checks.conventions.facts import FileFacts
from guard.finding import Finding
from guard.git import ZERO_SHA
from guard.lazyre import Pattern

PY_EXT = (".py",)
JS_EXT = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
# a file without any of these cannot trigger a port or env-var rule (jobs are always parsed)
PY_MARK = Pattern(r"environ|getenv|HTTPServer|TCPServer|\bport\b|--port|--bind|\bbind\b|"
                     r"\b(?:run|listen|serve|run_app|run_simple|make_server|start_server|"
                     r"create_server|Config)\s*\(")
JS_MARK = Pattern(r"process|import\.meta|Bun\.|Deno\.|\bport\b|\b(?:listen|serve|"
                     r"createServer|WebSocketServer|startServer|startStandaloneServer|"
                     r"set)\s*\(")
# Candidate lines are found by these substrings (C speed); a line without any of them
# cannot hold a match of PY_MARK / JS_MARK on a line that a finding can point at. The one
# exception is deliberate: JS_MARK's `set(` is a candidate only as Express's
# `set('port'` / `set("port"` (Map.set, headers.set, ... are common and hold no port).
WORDS = {"py": ("environ", "getenv", "Server(", "Server (", "port=", "port =", "--port",
                "--bind", "bind", "run(", "run (", "run_", "listen(", "listen (", "serve(",
                "serve (", "server(", "server (", "Config(", "Config ("),
         "js": ("process", "import.meta", "Bun.", "Deno.", "port:", "port :", "port,",
                "port }", "port}", "listen(", "listen (", "serve(", "serve (", "Server(",
                "Server (", "set('port'", 'set("port"')}
# files where a finding's line need not hold a marker word: parsed whenever they change
PY_ALWAYS = ("BaseSettings", "decouple", "environs", "Env(")
JS_ALWAYS = Pattern(r"\}\s*=\s*(?:process|Bun)\.env\b")
MAX_BYTES = 2_000_000     # bigger code files are generated or bundled: CONV011, not parsed


class Source:
    """One changed file at the head revision, and which of its lines the branch changed."""

    def __init__(self, change, data: bytes) -> None:
        self.change = change
        self.path = change.path
        self.data = data
        self.text = data.decode("utf-8", "replace")
        self._changed: set[int] | None = None
        self.all_changed = change.old_sha == ZERO_SHA or change.status in ("A", "C")
        self.in_tests = False
        self.in_server = False
        self.lines: list[str] | None = None
        self.old_read = False

    def needs_old(self) -> bool:
        return not self.all_changed and not self.old_read

    def set_old(self, old: bytes | None) -> None:
        self.old_read = True
        if old is None:
            self.all_changed = True
            return
        # lines are counted by \n, as git, the parsers' line numbers and the secret scan
        # count them (str.splitlines also breaks at \f, \x1c-\x1e, \x85, \u2028, ...)
        before = {line.strip() for line in old.decode("utf-8", "replace").split("\n")}
        self.lines = self.text.split("\n")
        self._changed = {n for n, line in enumerate(self.lines, 1)
                         if line.strip() not in before}

    def code_marks(self, pattern, lang: str) -> list[int]:
        """Sorted numbers of the lines where ``pattern`` matches outside a string or a
        comment (as far as one line shows: when in doubt the line counts). Lines are found
        with plain substring searches for the pattern's words (C speed), then checked."""
        text = self.text
        heads: set[int] = set()
        for word in WORDS[lang]:
            i = text.find(word)
            while i >= 0:
                heads.add(text.rfind("\n", 0, i) + 1)
                i = text.find(word, i + len(word))

        def candidates():
            number, counted = 1, 0
            for head in sorted(heads):
                number += text.count("\n", counted, head)
                counted = head
                end = text.find("\n", head)
                yield number, (text[head:] if end < 0 else text[head:end])

        return marked_lines(candidates(), pattern, lang)

    def changed(self, first: int, last: int | None = None) -> bool:
        if self.all_changed:
            return True
        last = first if last is None else last
        return any(n in self._changed for n in range(first, last + 1))

    def near(self, lines: list[int], context: int) -> bool:
        """True when one of ``lines`` is a changed line or within ``context`` of one."""
        if self.all_changed:
            return True
        return any(self.changed(max(1, n - context), n + context) for n in lines)


def marked_lines(candidates, pattern, lang: str) -> list[int]:
    """The numbers of the (number, line) candidates, in order, where ``pattern`` matches in
    code (as `_code_at` decides). A candidate is a line holding one of WORDS[lang]."""
    found = []
    search = pattern.search
    plain, string = _PY_PLAIN.match, _PY_STRING.match
    for number, line in candidates:
        bare = line.lstrip()
        if bare.startswith(("import ", "from ")):
            continue      # `import`/`from x import environ` read nothing yet
        if lang == "py":
            if '"""' in line or "'''" in line:          # _code_at: True for any match
                if search(line):
                    found.append(number)
                continue
            # the code stretches between string literals, up to a comment: a match of the
            # pattern (letters, digits, -, _, spaces and `(`: never a quote or #) that
            # starts in one lies inside it, and \b sees the real neighbours at its ends
            pos, n = 0, len(line)
            while pos < n:
                end = plain(line, pos).end()
                if search(line, pos, end):
                    found.append(number)
                    break
                if end >= n or line[end] == "#":
                    break
                quoted = string(line, end)
                if quoted is None:
                    break                    # the rest of the line is an open string
                pos = quoted.end()
        elif "/*" in line or "*/" in line or bare.startswith("*"):   # _code_at: True
            if pattern.search(line):
                found.append(number)
        elif not bare.startswith("//") and _js_code_match(line, search):
            found.append(number)             # (a comment line: every match is after the //)
    return found


def _js_code_match(line: str, search) -> bool:
    """Whether ``search`` (JS_MARK's: letters, digits, `.`, spaces and `(`, never a quote,
    brace or slash) matches in a code stretch of a JS line without block comments, as
    _code_at reads the line: strings and template text are not code, `${ ... }` is, a //
    ends the code."""
    n, holes, seg, i = len(line), [], 0, 0
    stop, string, template = _JS_STOP.search, _JS_STRING.match, _JS_TEMPLATE.match
    while True:
        m = stop(line, i)
        if m is None:
            return search(line, seg, n) is not None
        j = m.start()
        ch = line[j]
        if ch == "/":
            if line.startswith("//", j):
                return search(line, seg, j) is not None
            i = j + 1
            continue
        if ch == "{" or (ch == "}" and (not holes or holes[-1])):
            if holes:
                holes[-1] += 1 if ch == "{" else -1
            i = j + 1
            continue
        if search(line, seg, j):                # the code stretch ends at j
            return True
        if ch in "'\"":
            quoted = string(line, j)
            if quoted is None:
                return False                    # the rest of the line is an open string
            i = seg = quoted.end()
            continue
        if ch == "}":                           # closes a `${`: back in template text
            holes.pop()
        end = template(line, j + 1).end()       # template text after ` or }
        if end >= n or line[end] == "\\":
            return False                        # open to the end of the line
        if line[end] == "`":
            i = seg = end + 1
        else:                                   # `${`: code again
            holes.append(0)
            i = seg = end + 2


_JS_STOP = Pattern(r"['\"`/{}]")
_JS_STRING = Pattern(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"', re.S)
_JS_TEMPLATE = Pattern(r"(?:[^`\\$]|\\.|\$(?!\{))*", re.S)


# Python lines without triple quotes, as _code_at reads them: plain characters (not a
# quote or #), and string literals in which a backslash escapes the next character
_PY_PLAIN = Pattern(r"""[^'"#]*""")
_PY_STRING = Pattern(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"', re.S)


def _code_at(line: str, col: int, lang: str) -> bool:
    """False only when column ``col`` of ``line`` is certainly inside a string literal or a
    comment. Lines a one-line view cannot settle (triple quotes, block comments) count as
    code, so a doubt costs a parse, never a finding. In JS a template literal's `${ ... }`
    is code again. The specification, one character at a time: marked_lines reads lines
    the same way by whole stretches (tests/test_conventions_fast.py holds them together)."""
    if lang == "py":
        if '"""' in line or "'''" in line:
            return True
        quotes = "\"'"
    else:
        if "/*" in line or "*/" in line or line.lstrip().startswith("*"):
            return True
        quotes = "\"'`"
    quote = None
    holes: list[int] = []       # JS: open `{` count of each `${` we are inside
    i = 0
    while i < col:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
            elif quote == "`" and ch == "$" and line.startswith("${", i):
                holes.append(0)
                quote = None
                i += 2
                continue
        elif ch in quotes:
            quote = ch
        elif ch == "#" and lang == "py":
            return False
        elif lang == "js":
            if ch == "/" and line.startswith("//", i):
                return False
            if holes and ch == "{":
                holes[-1] += 1
            elif holes and ch == "}":
                if holes[-1] == 0:
                    holes.pop()
                    quote = "`"
                else:
                    holes[-1] -= 1
        i += 1
    return quote is None


class _Memo:
    """A PatternSet that answers each path once (several rules ask about the same path)."""

    def __init__(self, patterns) -> None:
        self.sources = patterns.sources
        self._decide = patterns.decide
        self._seen: dict = {}
        # the common case: plain folders anchored at the root (`src/server/`), where the
        # gitignore answer is a prefix test
        plain = all(not any(ch in s.pattern for ch in "*?[]!\\") and s.pattern.endswith("/")
                    and "/" in s.pattern[:-1] and not s.pattern.startswith("/")
                    for s in self.sources)
        self._prefixes = tuple(s.pattern for s in self.sources) if plain else None

    def decide(self, path: str):
        if self._prefixes is not None:
            if path.startswith(self._prefixes):
                return next(s for s in self.sources if path.startswith(s.pattern))
            return None
        try:
            return self._seen[path]
        except KeyError:
            found = self._seen[path] = self._decide(path)
            return found


class _Needed:
    """A PatternSet behind a substring test. A gitignore pattern without brackets or
    escapes matches only paths that hold each of its literal stretches (the text between
    `*`, `?` and `/`), so a path holding none of the positive patterns' longest stretches
    (`.env` for every default env-file pattern) is answered None without matching."""

    def __init__(self, patterns) -> None:
        self.sources = patterns.sources
        self._decide = patterns.decide
        needles: set[str] | None = set()
        for src in self.sources:
            if src.pattern.startswith("!"):
                continue                     # a negation never makes a path match
            parts = [part for part in re.split(r"[*?/]", src.pattern) if part]
            if "[" in src.pattern or "\\" in src.pattern or not parts:
                needles = None
                break
            needles.add(max(parts, key=len))
        if needles is not None:          # a path holding `.env.local` holds `.env`
            needles = {n for n in needles if not any(o in n for o in needles if o != n)}
        self._needles = tuple(needles) if needles is not None else None

    def decide(self, path: str):
        if self._needles is not None and not any(map(path.__contains__, self._needles)):
            return None
        return self._decide(path)


def run(ctx) -> Iterator[Finding]:
    # The check makes about a million short-lived objects (AST nodes, tokens, lines) and no
    # reference cycles; the cyclic collector's passes over the whole heap would cost a
    # quarter of its time on a large change. Paused while it runs, restored after.
    paused = gc.isenabled()
    gc.disable()
    try:
        yield from _run(ctx)
    finally:
        if paused:
            gc.enable()


def _run(ctx) -> Iterator[Finding]:
    from guard.checks.conventions_spec import parse_config
    from guard.patterns import PatternSet

    settings = ctx.settings("conventions") or parse_config(None, file="company.config.yaml",
                                                           line=None)
    server = _Memo(PatternSet(settings.server_paths))
    jobs = _Memo(PatternSet(settings.job_paths))
    tests = _Memo(PatternSet(settings.test_paths))
    env_files = _Needed(PatternSet(settings.env_files))
    git = ctx.git
    head_rev = ":" if ctx.mode == "staged" else ctx.head

    live = [c for c in ctx.changes if c.status != "D" and c.kind == "file"]
    # a pure rename or mode change adds no line: only changed contents are read
    changed = [c for c in live if c.old_sha != c.new_sha]
    found: list[Finding] = []
    done: list[bool] = []

    def by_path() -> None:             # the rules that need no content, once
        if not done:
            done.append(True)
            found.extend(rules.env_files_committed(live, env_files, settings.env_example))
            found.extend(rules.tests_alongside(ctx.changes, server, tests, PY_EXT + JS_EXT))

    surveyed = None
    if len(changed) >= BULK_MIN:
        from guard.checks.conventions import bulk
        survey = bulk.start(git, changed, server, jobs, tests)   # None: git cannot
        if survey is not None:
            surveyed = survey.finish(meanwhile=by_path)          # None: git could not
    by_path()
    yield from found
    from guard.checks.conventions import entrypoint
    yield from entrypoint.run(git, head_rev, changed, server.decide)
    if surveyed is None:
        surveyed = _read_and_survey(git, changed, server, jobs, tests)
    secret_hits, plan, too_big = surveyed

    # which lines changed: one more batched read, the old side of modified files
    need_old = {id(s): s for s, _, _, _ in plan if s.needs_old()}
    need_old.update((id(s), s) for s, _ in secret_hits if s.needs_old())
    olds = git.read_blobs(list({s.change.old_sha for s in need_old.values()}))
    for src in need_old.values():
        src.set_old(olds.get(src.change.old_sha))

    # parse a marked file only when a marked line is a changed line or near one
    todo = [item for item in plan if item[3] is None or item[0].near(item[3], 3)]
    analysed: list[tuple[Source, FileFacts]] = list(too_big)
    for (src, _, _, _), facts in zip(todo, _in_parallel("_parse", todo)):
        if facts.env_reads or facts.ports or facts.jobs or facts.parse_error:
            analysed.append((src, facts))

    env_raw = git.read_blob(head_rev, settings.env_example)
    env = envfile.parse(env_raw.decode("utf-8", "replace")) if env_raw is not None else None
    env_change = next((c for c in ctx.changes if c.path == settings.env_example
                       and c.status != "D"), None)

    # the other modules the rules look into (a port constant's module, a job's app), read
    # at the head revision in one batch
    wanted = _port_modules(analysed)
    jobs_wanted = _app_modules_wanted(analysed)
    modules = _read_modules(git, head_rev, [c for cands in (*wanted.values(),
                                                            *jobs_wanted.values())
                                            for c in cands])
    _resolve_ports(analysed, wanted, modules)

    yield from rules.parse_errors(analysed)
    reported: set[str] = set()
    yield from rules.ports(analysed, settings, env, env_change, reported)
    yield from rules.env_vars(analysed, settings, env, reported)
    yield from rules.jobs(analysed, _app_evidence(jobs_wanted, modules))
    # the queue topology of the jobs the branch wrote, for the hand-off report
    from guard.checks.conventions import topology
    ctx.publish("conventions", {"jobs": [r.as_dict() for r in topology.rows(analysed)]})
    for src, hits in secret_hits:
        added = None
        # a line whose text the old file never had is added in any diff; only a hit on a
        # line that existed before (moved, duplicated) needs git's own answer
        if not src.all_changed and not all(src.changed(h.line) for h in hits):
            added = set(git.added_lines(src.change.old_sha, src.change.new_sha))
            added.update(h.line for h in hits if src.changed(h.line))
        yield from rules.secrets(src, hits, added)
    if settings.tenancy is not None:        # architecture.multi_tenancy is configured
        from guard.checks.conventions import tenancy
        yield from tenancy.check(ctx, settings.tenancy, changed)


def placer(server, jobs, tests):
    """place(path) -> (in the test paths, in the server paths, kind) of a changed file.
    kind: (language, job file) for server code, "script" for a start script (code when it
    holds a '-'), else None. When the three path lists are plain folders (the defaults),
    the answers depend on the folder alone and are worked out once per folder."""
    from guard.checks.conventions.scripts import is_script

    code_ext = PY_EXT + JS_EXT
    folders: dict[str, tuple[bool, bool, bool]] = {}
    plain = all(m._prefixes is not None for m in (server, jobs, tests))

    def place(path: str) -> tuple[bool, bool, object]:
        if rules.is_test_file(path):     # a test beside the code: a test, not server code
            return True, False, None
        if plain:
            # a folder pattern `a/b/` is a prefix of `a/b/c/x.py` exactly when it is a
            # prefix of `a/b/c/`
            folder = path[:path.rfind("/") + 1]
            try:
                in_tests, in_server, in_jobs = folders[folder]
            except KeyError:
                in_tests, in_server, in_jobs = folders[folder] = (
                    tests.decide(folder) is not None, server.decide(folder) is not None,
                    jobs.decide(folder) is not None)
            if in_tests:
                return True, False, None
        else:
            if tests.decide(path) is not None:
                return True, False, None
            in_server = server.decide(path) is not None
            in_jobs = in_server and path.endswith(code_ext) and jobs.decide(path) is not None
        if in_server and path.endswith(code_ext):
            return False, True, ("py" if path.endswith(PY_EXT) else "js", in_jobs)
        return False, in_server, "script" if is_script(path) else None

    return place


def too_big_facts(src: Source) -> FileFacts:
    facts = FileFacts(src.path, too_big=True)
    facts.parse_error = (1, f"{len(src.data) // 1_000_000} MB, larger than the "
                            f"{MAX_BYTES // 1_000_000} MB guard parses")
    return facts


def _read_and_survey(git, changed, server, jobs, tests):
    """Every changed file read whole (one batched `git cat-file`) and surveyed in Python:
    (secret hits, parse plan, files too big to parse), each in the order of ``changed``."""
    blobs = git.read_blobs([c.new_sha for c in changed])
    place = placer(server, jobs, tests)
    sources: list[Source] = []
    code: list[tuple[Source, str, bool]] = []       # (source, language, job file)
    for change in changed:
        data = blobs.get(change.new_sha)
        if data is None or b"\0" in data[:8000]:
            continue                 # binary: no code, and the token formats are text
        src = Source(change, data)
        sources.append(src)
        src.in_tests, src.in_server, kind = place(src.path)
        if kind == "script":
            if b"-" in data:
                code.append((src, "sh", False))
        elif kind is not None:
            code.append((src, *kind))

    # per file, independent of the others: the secret scan and whether (and where) a port
    # or env rule needs the file parsed. Split over two processes on a large change.
    kinds = {id(src): (lang, is_job) for src, lang, is_job in code}
    surveyed = _in_parallel("_survey", [(src, kinds.get(id(src))) for src in sources])
    secret_hits = [(src, hits) for src, (hits, _) in zip(sources, surveyed) if hits]
    plan = [(src, *entry) for src, (_, entry) in zip(sources, surveyed)
            if entry is not None and entry != "big"]
    big = [(src, too_big_facts(src)) for src, (_, entry) in zip(sources, surveyed)
           if entry == "big"]
    return secret_hits, plan, big


def entry(src: Source, lang: str, is_job: bool, marks=None):
    """The parse plan of one code file: None (nothing for the port/env/job rules), "big", or
    (language, job file, marked lines: None for "parse it whole"). ``marks``: the file's
    marked lines when already known (else they are found here)."""
    if len(src.data) > MAX_BYTES:
        return "big"
    if lang == "sh" or is_job:
        return (lang, is_job, None)
    if lang == "py":
        if any(map(src.text.__contains__, PY_ALWAYS)):
            return (lang, is_job, None)
        if marks is None:
            marks = src.code_marks(PY_MARK, "py")
    elif ".env" in src.text and JS_ALWAYS.search(src.text):
        return (lang, is_job, None)
    elif marks is None:
        marks = src.code_marks(JS_MARK, "js")
    return (lang, is_job, marks) if marks else None


def _survey(items) -> list:
    """(secret hits, parse plan) of each (source, (language, job file) or None); the plan is
    None (nothing for the port/env/job rules), "big", or (language, job file, marked lines:
    None for "parse it whole")."""
    from guard.checks.conventions import secrets
    out = []
    for src, kind in items:
        generic = not src.in_tests and (src.in_server or secrets.is_config(src.path))
        hits = secrets.scan(src.text, src.path, generic=generic)
        out.append((hits, None if kind is None else entry(src, *kind)))
    return out


def _parse(items) -> list[FileFacts]:
    from guard.checks.conventions import jsfacts, pyfacts, scripts
    out = []
    for src, lang, is_job, marks in items:
        if lang == "sh":
            out.append(scripts.analyze(src.text, src.path))
        elif lang == "py":
            out.append(pyfacts.analyze(src.text, src.path, job_file=is_job, lines=marks))
        else:
            out.append(jsfacts.analyze(src.text, src.path, job_file=is_job))
    return out


# From this many changed files on, git reads and searches them (bulk.py); below it the
# fixed cost of the extra git processes is not worth paying.
BULK_MIN = 500

# Above this many items a stage runs in two processes (guard.parallel: this one and one
# forked worker that inherits the items). A fork costs ~10 ms: worth it for thousands of
# surveys or hundreds of parses.
PARALLEL_MIN = {"_survey": 3000, "_parse": 400}


def _in_parallel(stage: str, items: list) -> list:
    return parallel.split(globals()[stage], items, PARALLEL_MIN[stage])


def _module_candidates(path: str, module: str) -> list[str]:
    level = len(module) - len(module.lstrip("."))
    rest = module.lstrip(".").replace(".", "/")
    if level:
        base = posixpath.dirname(path)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        stem = posixpath.join(base, rest) if rest else base
        return [stem + ".py", stem + "/__init__.py"] if rest else [stem + "/__init__.py"]
    return [rest + ".py", rest + "/__init__.py", "src/" + rest + ".py",
            "src/" + rest + "/__init__.py"]


def _read_modules(git, head_rev: str, paths) -> dict[str, bytes]:
    """path -> content at the head revision (the index in --staged mode) of those of
    ``paths`` that are files there: one batched `git cat-file` for all."""
    specs = sorted({p for p in paths if "\n" not in p and " " not in p})
    prefix = ":" if head_rev == ":" else f"{head_rev}:"
    found = git.read_blobs([prefix + p for p in specs]) if specs else {}
    return {spec[len(prefix):]: data for spec, data in found.items()}


def _port_modules(analysed) -> dict[tuple[str, str], list[str]]:
    """(path of a changed file, module) -> the files that module may be, for each port
    taken from another module's constant on a changed line."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for src, facts in analysed:
        for site in facts.ports:
            if site.source == "import" and src.changed(site.line):
                key = (src.path, site.ref[0])
                if key not in wanted:
                    wanted[key] = (_module_candidates(src.path, site.ref[0])
                                   if src.path.endswith(PY_EXT)
                                   else _js_module_candidates(src.path, site.ref[0]))
    return wanted


def _resolve_ports(analysed, wanted, modules: dict[str, bytes]) -> None:
    """Each port taken from another module's constant, classified in that module: a literal
    there is a literal here (named where it is defined), an env read an env read; a module
    that is no file of the repository, or a constant it does not plainly assign, leaves
    the port unknown. Each module is parsed once, however many sites name it."""
    from guard.checks.conventions import jsfacts, pyfacts

    constants: dict[tuple[str, str], object] = {}
    for src, facts in analysed:
        if not any(site.source == "import" for site in facts.ports):
            continue
        ports = []
        for site in facts.ports:
            if site.source == "import":
                path = next((c for c in wanted.get((src.path, site.ref[0]), ())
                             if c in modules), None)
                site = site._replace(source="unknown")
                if path is not None:
                    key = (path, site.ref[1])
                    if key not in constants:
                        text = modules[path].decode("utf-8", "replace")
                        reader = pyfacts if path.endswith(PY_EXT) else jsfacts
                        constants[key] = reader.module_constant(text, path, site.ref[1])
                    found = constants[key]
                    if found is not None:
                        source, value, line, env_vars = found
                        site = site._replace(source=source, value=value, vars=env_vars,
                                             defined_at=f"{path}:{line}",
                                             via=f"{site.ref[1]} = {value} at {path}:{line}"
                                             if source == "literal" else "")
            ports.append(site)
        facts.ports = ports


def _js_module_candidates(path: str, spec: str) -> list[str]:
    """The files a relative JS/TS import specifier may be (`./config` -> config.ts, ...,
    config/index.ts, ...; `./config.js` written for config.ts). A package or a path alias
    is not followed."""
    if not spec.startswith(("./", "../")):
        return []
    stem = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
    if stem.startswith("../"):
        return []
    out = []
    if stem.endswith(JS_EXT):
        out.append(stem)
        base, ext = posixpath.splitext(stem)
        swap = {".js": ".ts", ".jsx": ".tsx", ".mjs": ".mts", ".cjs": ".cts"}
        if ext in swap:
            out.append(base + swap[ext])
    out += [stem + ext for ext in JS_EXT] + [stem + "/index" + ext for ext in JS_EXT]
    return out


def _app_modules_wanted(analysed) -> dict[str, list[str]]:
    """path of a job file -> the files the modules its jobs' app/base come from may be."""
    wanted: dict[str, list[str]] = {}
    for src, facts in analysed:
        if facts.jobs and facts.app_modules:
            wanted[src.path] = [c for m in sorted(facts.app_modules)
                                for c in _module_candidates(src.path, m)]
    return wanted


def _app_evidence(wanted, modules: dict[str, bytes]) -> dict[str, set[str]]:
    """path of a job file -> setting words of the modules its jobs' app/base come from (read
    at the head revision, changed or not: retries configured on the app count)."""
    from guard.checks.conventions.pyfacts import module_evidence

    words: dict[str, set[str]] = {}
    for cands in wanted.values():
        for c in cands:
            if c in modules and c not in words:
                words[c] = module_evidence(modules[c].decode("utf-8", "replace"))
    return {path: set().union(*(words.get(c, set()) for c in cands))
            for path, cands in wanted.items()}
