"""gitignore-style pattern lists that remember where each pattern came from.

A PatternSet answers "which pattern decides this path?" with gitignore semantics (pathspec's
GitIgnoreSpec: last match wins, negation with !, a trailing / means a folder), so
`guard explain PATH` can name the file and line of the deciding pattern.

pathspec is imported, and a pattern compiled, only when a path is matched or a pattern of
the project's is validated: a run that asks no scope question (`--only migrations`) never
loads it. guard's own patterns (the built-in role packs, check defaults) are validated by
the tests instead of on every run.
"""

import re
from typing import NamedTuple, Sequence

from guard.errors import GuardError


class Source(NamedTuple):
    """One pattern and where it was written."""

    pattern: str
    file: str
    line: int | None
    kind: str                 # owned | forbidden | shared | task-allowed | task-forbidden
    note: str | None = None   # the policy's own words ("Frontend Engineer's domain")
    owner: str | None = None  # role that owns the path, for forbidden entries

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def validate_pattern(pattern: object, *, file: str, line: int | None,
                     trusted: bool = False) -> str:
    """Return the pattern, or raise a GuardError that names file and line.

    ``trusted``: one of guard's own patterns (a built-in role pack, a check's default), which
    tests/test_patterns.py compiles; it gets the cheap checks here and is compiled on first
    use. A project's pattern is compiled now, so a bad one fails the run at load."""
    if not isinstance(pattern, str):
        raise GuardError(f"pattern must be a string, got {type(pattern).__name__} {pattern!r}",
                         path=file, line=line, hint="quote it: \"src/api/\"")
    text = pattern.strip()
    if not text or text.startswith("#"):
        raise GuardError("empty pattern", path=file, line=line,
                         hint="remove the entry or write a path such as src/api/")
    if "\0" in text or "\n" in text:
        raise GuardError(f"pattern {pattern!r} contains a NUL or newline", path=file, line=line)
    bare = text[1:] if text.startswith("!") else text
    if bare.startswith("./"):
        raise GuardError(f"bad pattern {pattern!r}: paths are relative to the repository root",
                         path=file, line=line, hint=f"write {bare[2:]!r} instead")
    if any(part == ".." for part in bare.split("/")):
        raise GuardError(f"bad pattern {pattern!r}: '..' cannot appear in a repository path",
                         path=file, line=line, hint="write the path from the repository root")
    if "//" in bare:
        # git never matches an empty folder name; pathspec reads it as one slash, so the
        # two would answer differently (found by tests/test_patterns_fuzz.py)
        raise GuardError(f"bad pattern {pattern!r}: an empty folder name (`//`) matches "
                         "nothing in git", path=file, line=line,
                         hint=f"write {re.sub('/+', '/', bare)!r} instead")
    if trusted or _plain(text) is not None:   # (a plain shape always compiles)
        return text
    try:
        compiled = _compile(text)
    except Exception as exc:  # pathspec raises its own error types for invalid patterns
        raise GuardError(f"bad pattern {pattern!r}: {exc}", path=file, line=line,
                         hint="use .gitignore syntax, e.g. src/api/ or *.sql") from None
    if compiled.include is None:
        raise GuardError(f"bad pattern {pattern!r}: it matches nothing", path=file, line=line,
                         hint="use .gitignore syntax, e.g. src/api/ or *.sql")
    return text


_GLOB = frozenset("*?[\\")
_COMPILED: dict[str, object] = {}
_PLAIN: dict[str, "_Plain | None"] = {}


class _Plain:
    """A pattern of the plain shapes most policies are made of — literal paths and folders
    (`src/api/`, `/Dockerfile`, `docs`, `!docs/keep.md`) and single-segment globs with `*`
    or `?` (`knexfile.*`) — matched as the regular expression pathspec's GitIgnoreSpec
    writes for it, without importing pathspec (~25 ms of every hook): a glob with that
    regular expression, a literal with string tests that give its expression's answers
    (no compile: ~0.3 M instructions each, a dozen in the built-in packs). Anything else
    (`[...]`, escapes, `**`, odd slashes) goes to pathspec. tests/test_patterns.py holds
    the two to the same answers, dir-mark priority included."""

    __slots__ = ("include", "regex", "literal", "anchored", "dir_only")

    def __init__(self, include: bool, regex: str | None, literal: str | None = None,
                 anchored: bool = False, dir_only: bool = False) -> None:
        self.include = include
        # DOTALL: a folder name may hold a newline, and `(?:.+/)?` must still cross it
        self.regex = re.compile(regex, re.DOTALL) if regex is not None else None
        self.literal, self.anchored, self.dir_only = literal, anchored, dir_only

    def priority(self, path: str) -> int:
        """0: no match; 1: a match through a folder (pathspec's dir mark, `ps_d`); 2: the
        path itself matches."""
        literal = self.literal
        if literal is None:
            match = self.regex.match(path)       # type: ignore[union-attr]
            return 0 if match is None else 1 if match.group("ps_d") else 2
        # the expression is `^literal(?P<ps_d>/)`, unanchored `^(?:.+/)?literal(?P<ps_d>/)`;
        # without a trailing slash it ends `(?:(?P<ps_d>/)|\Z)` instead, and the greedy
        # prefix tries the rightmost place first: the path's own end, when it matches there
        if not self.dir_only and (path == literal or not self.anchored and len(path) > len(
                literal) + 1 and path.endswith(literal) and path[-len(literal) - 1] == "/"):
            return 2
        folder = literal + "/"
        if path.startswith(folder):
            return 1
        if not self.anchored and path.find("/" + folder, 1) != -1:
            return 1
        return 0

    def match_file(self, path: str):
        """As pathspec's pattern.match_file: a match (True for a literal), or None."""
        if self.literal is None:
            return self.regex.match(path)          # type: ignore[union-attr]
        return True if self.priority(path) else None


def _plain(text: str) -> "_Plain | None":
    """The _Plain of a pattern of a plain shape; None for one pathspec must compile."""
    try:
        return _PLAIN[text]
    except KeyError:
        pass
    found = None
    body = text[1:] if text.startswith("!") else text
    dir_only = body.endswith("/")
    core = body[:-1] if dir_only else body
    anchored = core.startswith("/")
    core = core[1:] if anchored else core
    parts = core.split("/")
    if (core and "\\" not in core and "[" not in core and "**" not in core
            and all(part.strip("*") for part in parts)     # pathspec reads `*` alone apart
            and core == core.strip() and not core.startswith("#")):
        anchored = anchored or len(parts) > 1
        globbed = any(ch in "*?" for ch in core)
        if not globbed:
            found = _Plain(not text.startswith("!"), None, core, anchored, dir_only)
        elif not anchored:
            segment = "".join("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch)
                              for ch in core)
            found = _Plain(not text.startswith("!"), "^(?:.+/)?" + segment
                           + ("(?P<ps_d>/)" if dir_only else r"(?:(?P<ps_d>/)|\Z)"))
    _PLAIN[text] = found
    return found


def _end_anchored(regex: str) -> str:
    """``regex`` with every unescaped `$` (outside a character class) made `\\Z`."""
    out, i, in_class = [], 0, False
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            out.append(regex[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if regex[i + 1:i + 2] == "]" or regex[i + 1:i + 3] == "^]":
                step = 2 if regex[i + 1] == "]" else 3
                out.append(regex[i:i + step])
                i += step
                continue
        elif ch == "$":
            out.append("\\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _compile(text: str):
    """One compiled pathspec pattern per pattern text (validation and matching share it)."""
    pattern = _COMPILED.get(text)
    if pattern is None:
        import pathspec
        pattern = pathspec.GitIgnoreSpec.from_lines([text]).patterns[0]
        if getattr(pattern, "regex", None) is not None:
            # pathspec compiles without DOTALL: `src/server/a\nb/Dockerfile` would dodge
            # every unanchored pattern through the newline in a folder name
            # and `$` also matches before a final newline (`x.md\n` would meet `*.md`): the
            # end of the name is \Z
            pattern.regex = re.compile(_end_anchored(pattern.regex.pattern),
                                       pattern.regex.flags | re.DOTALL)
        _COMPILED[text] = pattern
    return pattern


def _compile_source(source: Source):
    """_compile for a pattern about to be matched: one that was not compiled when it was
    read (a trusted one) and does not compile is still an error naming its file and line."""
    try:
        return _compile(source.pattern)
    except Exception as exc:  # pathspec raises its own error types for invalid patterns
        raise GuardError(f"bad pattern {source.pattern!r}: {exc}", path=source.file,
                         line=source.line,
                         hint="use .gitignore syntax, e.g. src/api/ or *.sql") from None


def _literal_key(text: str) -> tuple[str, tuple[str, ...] | str | None]:
    """How a pattern can be pre-selected without running its regex.

    ("anchored", ("src", "server")) — matches only paths starting with those segments;
    ("name", "Dockerfile") — matches only paths having a segment equal to that name (so
    does `**/migrations/[0-9]*`: whatever follows, a path it matches has a segment
    `migrations`, as `**/` matches whole folders);
    ("any", None) — anything else (globs, escapes): always a candidate.
    """
    body = text[1:] if text.startswith("!") else text
    body = body.rstrip("/")
    if body.startswith("**/"):
        segment = body[3:].split("/", 1)[0]
        if segment and segment != "**" and _GLOB.isdisjoint(segment):
            return "name", segment
    if body and "/" not in body and "**" not in body and "\\" not in body \
            and not _GLOB.isdisjoint(body):
        return "nameglob", body
    if not body or not _GLOB.isdisjoint(body):
        literal_parts: list[str] = []
        for part in body.lstrip("/").split("/"):
            if not part or not _GLOB.isdisjoint(part):
                break
            literal_parts.append(part)
        anchored = "/" in body.lstrip("/") or body.startswith("/")
        if anchored and literal_parts and not text.lstrip("!").startswith("**"):
            return "anchored", tuple(literal_parts)
        return "any", None
    if "/" in body:   # a slash before the end anchors the pattern at the root
        return "anchored", tuple(body.lstrip("/").split("/"))
    return "name", body


class PatternSet:
    """gitignore semantics (pathspec's GitIgnoreSpec), with a pre-selection step: a path is
    only matched against the patterns that could match it (an anchored pattern's literal
    leading folders, a plain name's segment), so a 20,000-path change does not run every
    pattern's regex on every path. The patterns that can never match a path are exactly the
    ones left out, so the answer is the same as matching against the whole list."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = tuple(sources)
        self._anchored: dict[tuple[str, ...], list[int]] = {}
        self._names: dict[str, list[int]] = {}
        self._always: list[int] = []
        # a glob without a slash (`knexfile.*`) tests one path segment at a time; compiled
        # when the first path is matched (see _globs)
        self._nameglob_indexes: list[int] = []
        self._nameglobs: list[tuple[int, object]] | None = None
        self._depth = 0
        for index, source in enumerate(self.sources):
            kind, key = _literal_key(source.pattern)
            if kind == "anchored":
                self._anchored.setdefault(key, []).append(index)   # type: ignore[arg-type]
                self._depth = max(self._depth, len(key))            # type: ignore[arg-type]
            elif kind == "name":
                self._names.setdefault(key, []).append(index)       # type: ignore[arg-type]
            elif kind == "nameglob":
                self._nameglob_indexes.append(index)
            else:
                self._always.append(index)
        self._specs: dict[tuple[int, ...], object] = {}   # candidates -> GitIgnoreSpec
        self._folders: dict[str, tuple[int, ...]] = {}
        self._by_folder: dict[str, Source | None] = {}
        # patterns whose match can depend on more than literal folder names (globs,
        # escapes): a folder-wide answer is never reused when one of them is a candidate
        # (name globs are pure here: matched against a folder segment, they match the
        # whole folder; matched against a file name, they are handled per file)
        globbed_names = set(self._nameglob_indexes)
        self._impure = frozenset(i for i, src in enumerate(self.sources)
                                 if not _GLOB.isdisjoint(src.pattern)
                                 and i not in globbed_names)

    def __bool__(self) -> bool:
        return bool(self.sources)

    def _globs(self) -> list[tuple[int, object]]:
        """The name globs, compiled (once, when a path is first matched)."""
        globs = self._nameglobs
        if globs is None:
            globs = self._nameglobs = [
                (i, _plain(self.sources[i].pattern) or _compile_source(self.sources[i]))
                for i in self._nameglob_indexes]
        return globs

    # -- what a whole folder shares -------------------------------------------------------
    # A file's answer can differ from its folder's only through its own name: a plain name
    # pattern (`Dockerfile`), the last segment of an anchored one (`src/api/openapi.yaml`),
    # or a name glob (`knexfile.*`). For every other name the answer is the folder's, as
    # long as no glob pattern that can look past folder names is a candidate there.
    def special_names(self) -> set[str]:
        """Names a file can carry that may give it another answer than its folder's."""
        names = set(self._names)
        names.update(key[-1] for key in self._anchored)
        return names

    def name_globs(self) -> list[str]:
        """The name globs (`knexfile.*`, `*.tsx`): a matching name may differ from its
        folder."""
        return [self.sources[i].pattern.lstrip("!").rstrip("/") for i in self._nameglob_indexes]

    def folder_pure(self, folder: str) -> bool:
        """True when every non-special name in ``folder`` gets one and the same answer."""
        return not self._impure.intersection(self._folder_candidates(folder))

    def _folder_candidates(self, folder: str) -> tuple[int, ...]:
        """Candidates decided by a folder's own segments (cached: files share folders)."""
        cached = self._folders.get(folder)
        if cached is not None:
            return cached
        parts = folder.split("/") if folder else []
        found = set(self._always)
        globs = self._nameglobs
        if globs is None:
            globs = self._globs()
        for part in parts:
            hit = self._names.get(part)
            if hit:
                found.update(hit)
            for index, compiled in globs:
                # asked as the folder it is (`part/`): a folder-only glob (`build*/`)
                # matches no bare name, so it was never a candidate inside its folders
                if compiled.match_file(part + "/") is not None:
                    found.add(index)
        for depth in range(1, min(self._depth, len(parts)) + 1):
            hit = self._anchored.get(tuple(parts[:depth]))
            if hit:
                found.update(hit)
        result = tuple(sorted(found))
        self._folders[folder] = result
        return result

    def decide(self, path: str) -> Source | None:
        """The pattern that includes ``path`` (None when nothing does or a ! pattern wins)."""
        if not self.sources:
            return None
        folder, _, name = path.rpartition("/")
        found = self._folder_candidates(folder)
        extra = self._names.get(name)
        globs = self._nameglobs
        if globs is None:
            globs = self._globs()
        if globs:
            globbed = [i for i, compiled in globs if compiled.match_file(name) is not None]
            if globbed:
                extra = (extra or []) + globbed
        if self._depth and path.count("/") < self._depth:
            whole = self._anchored.get(tuple(path.split("/")))
            if whole:
                extra = (extra or []) + whole
        if extra:
            found = tuple(sorted(set(found).union(extra)))
        elif found and not self._impure.intersection(found):
            # Only glob-free patterns matched, through the folder's own segments: they
            # match every file of that folder the same way, so one answer serves them all.
            if folder not in self._by_folder:
                self._by_folder[folder] = self._match(found, path)
            return self._by_folder[folder]
        if not found:
            return None
        return self._match(found, path)

    def _match(self, candidates: tuple[int, ...], path: str) -> Source | None:
        spec = self._specs.get(candidates)
        if spec is None:
            plain = [_plain(self.sources[i].pattern) for i in candidates]
            if all(plain):
                spec = plain
            else:
                import pathspec
                spec = pathspec.GitIgnoreSpec([_compile_source(self.sources[i])
                                               for i in candidates])
            self._specs[candidates] = spec
        if isinstance(spec, list):
            index = _gitignore_answer(spec, path)
            return self.sources[candidates[index]] if index is not None else None
        result = spec.check_file(path)
        if result.include and result.index is not None:
            return self.sources[candidates[result.index]]
        return None


def _gitignore_answer(patterns: list[_Plain], path: str) -> int | None:
    """The index of the pattern that includes ``path``, None when none does or an exclusion
    wins: GitIgnoreSpec.check_file's answer, as its default (simple) backend works it out —
    its path normalisation, then the patterns from last to first: the last one that
    matches the path itself wins, else the last one that matches through a folder (the
    dir mark)."""
    if path.startswith("/"):
        path = path[1:]
    elif path.startswith("./"):
        path = path[2:]
    out_include, out_index, out_priority = None, None, 0
    for index in range(len(patterns) - 1, -1, -1):
        pattern = patterns[index]
        priority = pattern.priority(path)
        if priority > out_priority:
            out_include, out_index, out_priority = pattern.include, index, priority
            if priority == 2:
                break
    return out_index if out_include else None
