"""SCOPE007: a changed file that imports from both a server-owned and a UI-owned area.

The seed's shared boundary ("API route handlers that import from both server and UI layers")
decided from the code instead of the folder: the imports of each changed Python and JS/TS
file are read by a small lexer (regular expressions that skip comments and strings; no
parser, so the pre-commit path stays fast), resolved to repository paths (relative imports
against the file's folder, tsconfig.json `compilerOptions.paths` aliases such as `@/*`, Python
modules as folders), and matched against the owned paths of the backend and frontend role
packs. Bare package imports (react, django) resolve to nothing and are left alone.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re

from guard.errors import GuardError
from guard.finding import Finding
from guard.lazyre import Pattern

JS_EXT = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte")
PY_EXT = (".py",)
SERVER_ROLE, UI_ROLE = "backend", "frontend"

_JS = Pattern(r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | \bimport\s*(?:\(\s*|(?:type\s+)?[\w$*{}\s,]*?\s*from\s*)?(?P<q1>['"])(?P<s1>[^'"\n]+)(?P=q1)
  | \bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(?P<q2>['"])(?P<s2>[^'"\n]+)(?P=q2)
  | \brequire\s*\(\s*(?P<q3>['"])(?P<s3>[^'"\n]+)(?P=q3)\s*\)
  | (?P<string>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)
""", re.S | re.X)

_PY = Pattern(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rRbBuUfF]{0,2}(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | ^[ \t]*from[ \t]+(?P<from>\.*[\w.]*)[ \t]+import[ \t]+\(?(?P<names>[\w, \t*]*)
  | ^[ \t]*import[ \t]+(?P<mods>[\w., \t]+)
""", re.S | re.X | re.M)


def _lines(text: str):
    """offset -> 1-based line number. The line starts are found (by a C-speed search, not
    a loop over every character) on the first question: most files have few imports and
    some none, and a 20,000-file change asks about every one of them."""
    starts: list[int] = []

    def line_of(offset: int) -> int:
        if not starts:
            starts.append(-1)      # a sentinel: line 1 starts after it
            starts.extend(m.start() for m in _NEWLINE.finditer(text))
        return bisect.bisect_right(starts, offset - 1)
    return line_of


_NEWLINE = Pattern("\n")
# every import form either lexer reports spells one of these words: a text with none of
# them has no import, and its comments and strings need no scan
_JS_WORDS = ("import", "require", "export")


def js_imports(text: str) -> list[tuple[str, int]]:
    """(specifier, line) of every import, export-from, require() and import() call."""
    if not any(word in text for word in _JS_WORDS):
        return []
    line_of = _lines(text)
    out = []
    for m in _JS.finditer(text):
        for group in ("s1", "s2", "s3"):
            if m.group(group):
                out.append((m.group(group), line_of(m.start(group))))
    return out


def py_imports(text: str) -> list[tuple[str, int]]:
    """(module, line): `import a.b` gives a.b; `from ..x import y` gives ..x; `from . import
    y, z` gives .y and .z (the names may be modules)."""
    if "import" not in text:          # both forms spell it
        return []
    line_of = _lines(text)
    out = []
    for m in _PY.finditer(text):
        if m.group("mods"):
            for part in m.group("mods").split(","):
                name = part.split()[0] if part.split() else ""
                if name:
                    out.append((name, line_of(m.start("mods"))))
        elif m.group("from") is not None and m.group("from"):
            mod = m.group("from")
            line = line_of(m.start("from"))
            if mod.strip(".") == "":
                for part in (m.group("names") or "").split(","):
                    name = part.split()[0] if part.split() else ""
                    if name and name != "*":
                        out.append((mod + name, line))
            else:
                out.append((mod, line))
    return out


def _strip_jsonc(text: str) -> str:
    """tsconfig.json allows comments and trailing commas: drop both outside strings."""
    text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/',
                  lambda m: m.group(1) or "", text, flags=re.S)
    return re.sub(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])', lambda m: m.group(1) or m.group(2), text)


def tsconfig_aliases(text: str, path: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """(baseUrl folder, [(alias pattern, [targets])]) from a tsconfig.json's compilerOptions."""
    try:
        data = json.loads(_strip_jsonc(text))
    except json.JSONDecodeError as exc:
        raise GuardError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}",
                         path=path, line=exc.lineno,
                         hint="fix the file: guard reads compilerOptions.paths from it to "
                              "resolve import aliases") from None
    opts = data.get("compilerOptions") if isinstance(data, dict) else None
    opts = opts if isinstance(opts, dict) else {}
    folder = posixpath.dirname(path)
    base = posixpath.normpath(posixpath.join(folder, str(opts.get("baseUrl") or ".")))
    paths = opts.get("paths") if isinstance(opts.get("paths"), dict) else {}
    aliases = []
    for alias, targets in paths.items():
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise GuardError(f"{path}: compilerOptions.paths[{alias!r}] must be a list of "
                             "paths", path=path, hint='e.g. "@/*": ["./src/*"]')
        aliases.append((alias, targets))
    return ("" if base == "." else base), aliases


def _join(*parts: str) -> str | None:
    joined = posixpath.normpath(posixpath.join(*parts))
    return None if joined.startswith("..") or joined.startswith("/") else joined.lstrip("./")


def resolve_js(spec: str, folder: str, tsconfig) -> list[str]:
    if spec.startswith(("./", "../")) or spec in (".", ".."):
        target = _join(folder, spec)
        return [target] if target else []
    if tsconfig is None:
        return []
    base, aliases = tsconfig
    out = []
    for alias, targets in aliases:
        if alias.endswith("*") and spec.startswith(alias[:-1]):
            rest = spec[len(alias[:-1]):]
        elif alias == spec:
            rest = ""
        else:
            continue
        for t in targets:
            target = _join(base, t.replace("*", rest))
            if target:
                out.append(target)
    return out


def resolve_py(module: str, folder: str) -> list[str]:
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        up = folder
        for _ in range(dots - 1):
            up = posixpath.dirname(up)
        rest = module[dots:].replace(".", "/")
        target = _join(up or ".", rest) if rest else (up or None)
        return [target] if target else []
    path = module.replace(".", "/")
    return [path, "src/" + path]


def _area(patterns, target: str, python: bool):
    tries = (target + ".py", target + "/__init__.py") if python else (target, target + "/index")
    for t in tries:
        found = patterns.decide(t)
        if found is not None:
            return found
    return None


def start(ctx, changes):
    """What ``findings`` reads, started: the changed code files and a `git cat-file` of
    their blobs running on another core (the scope check's policy loop runs meanwhile);
    None when there is nothing to read."""
    from guard.git import MODE_SUBMODULE, MODE_SYMLINK, ZERO_SHA
    roles = getattr(ctx.policy, "roles", {}) or {}
    if SERVER_ROLE not in roles or UI_ROLE not in roles:
        return None
    ext, entry = JS_EXT + PY_EXT, (MODE_SYMLINK, MODE_SUBMODULE)
    code = [c for c in changes if c.status != "D" and c.path.endswith(ext)
            and c.old_mode not in entry and c.new_mode not in entry]     # kind "file"
    if not code:
        return None
    shas = [c.new_sha for c in code if c.new_sha != ZERO_SHA]
    # the Stop hook has already started one read of every changed blob (Git.prefetch_blobs):
    # read_blobs answers from it, with no process of its own
    pending = None if not shas or ctx.git.blobs_prefetched() else ctx.git.start_read_blobs(shas)
    return code, shas, pending


def findings(ctx, changes, started=False) -> list[Finding]:
    """SCOPE007 for ``changes``; ``started``: what start(ctx, changes) returned."""
    from guard.git import parse_batch
    from guard.patterns import PatternSet
    if started is False:
        started = start(ctx, changes)
    if started is None:
        return []
    code, shas, pending = started
    roles = ctx.policy.roles
    server = PatternSet(roles[SERVER_ROLE].owned)
    ui = PatternSet(roles[UI_ROLE].owned)
    blobs = parse_batch(shas, pending.result()) if pending is not None else \
        (ctx.git.read_blobs(shas) if shas else {})
    tsconfig = False       # not read yet
    out = []
    for change in code:
        data = blobs.get(change.new_sha)
        if data is None:
            try:
                with open(posixpath.join(ctx.root, change.path), "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
        python = change.path.endswith(PY_EXT)
        # no import word, no import (as in the lexers; an ASCII word survives decoding)
        if b"import" not in data and (python or (b"require" not in data
                                                  and b"export" not in data)):
            continue
        text = data.decode("utf-8", "replace")
        folder = posixpath.dirname(change.path)
        if python:
            found = [(s, ln, resolve_py(s, folder)) for s, ln in py_imports(text)]
        else:
            specs = js_imports(text)
            if tsconfig is False and any(not s.startswith(".") for s, _ in specs):
                tsconfig = _read_tsconfig(ctx)
            found = [(s, ln, resolve_js(s, folder, tsconfig or None)) for s, ln in specs]
        first = {}
        for spec, line, targets in found:
            for target in targets:
                for side, patterns in (("server", server), ("UI", ui)):
                    if side in first:
                        continue
                    src = _area(patterns, target, python)
                    if src is not None:
                        first[side] = (spec, line, src.pattern)
        if len(first) == 2:
            s, u = first["server"], first["UI"]
            out.append(Finding(
                "SCOPE007", "scope", "warning",
                f"{change.path} imports from both the server and the UI layers: {s[0]!r} "
                f"(line {s[1]}, {s[2]}) and {u[0]!r} (line {u[1]}, {u[2]}): a shared boundary",
                "coordinate the change via the Staff Engineer and list it in the hand-off "
                "report, or keep server code behind an API route the UI calls",
                change.path, min(s[1], u[1])))
    return out


def _read_tsconfig(ctx):
    rev = ":" if ctx.mode == "staged" else (None if ctx.mode == "worktree" else ctx.head)
    if rev is None:
        try:
            with open(posixpath.join(ctx.root, "tsconfig.json"), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
    else:
        data = ctx.git.read_blob(rev, "tsconfig.json")
    if data is None:
        return None
    return tsconfig_aliases(data.decode("utf-8", "replace"), "tsconfig.json")
