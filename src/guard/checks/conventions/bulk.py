"""The survey of a large change, with git doing the reading and the searching.

The reference survey (`_read_and_survey`) reads every changed file whole into Python and
looks in each for credentials and for the lines the port and env rules care about. On a
20,000-file change that is most of the check's time, and almost every file comes back
empty. Here git does that work in C, in background processes on another core:

- the changed blobs are listed, under made-up names, in a throwaway index
  (`git.ScratchIndex`: a temporary file; nothing is written to the repository);
- `git grep --cached -P` searches them for a superset of what the reference survey looks
  for: in every file the token words of `secrets.py` and `aws` (any case), in generic files
  (server code, configuration) also the key words (any case); in server code also the rule
  words of `WORDS` and the words that have a file parsed whole, printing those lines with
  their numbers (one search per file: reading a blob costs git more than matching it);
- job files and start scripts, always parsed, are read whole at once (and searched for
  credentials like the rest); then only the files a search names are read (new and old
  side), and on those the reference code runs unchanged.

The findings are the same by construction: each pattern here is implied by the Python test
it stands for (see the notes at each), so a file no search names is one the reference
survey finds nothing in, and a file a search names is judged by the reference code itself.
Candidate lines for the port/env rules come from grep with their numbers (lines split at
`\n`, as code_marks splits them) and go through the same `marked_lines` decision. When git
cannot do its part (no PCRE in this git build, a blob it cannot read), `start` or
`Survey.finish` returns None and the caller runs the reference survey.
tests/test_conventions_fast.py runs both surveys on the same repositories and requires the
same findings.
"""

from __future__ import annotations

import re

from guard.checks.conventions import (JS_MARK, MAX_BYTES, PY_ALWAYS, PY_MARK, WORDS, Source,
                                      entry, marked_lines, placer, too_big_facts)
from guard.checks.conventions import secrets
from guard.errors import GuardError
from guard.git import ZERO_SHA, ScratchIndex, parse_batch
from guard.lazyre import Pattern


def _any_of(words) -> str:
    """A regex matching where any of ``words`` starts, factored as a trie (PCRE tries far
    fewer alternatives per position). A word that another word begins with stands for it:
    a line holding the longer one holds the shorter one too."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node) -> str:
        if "" in node:
            return ""
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(tree)


# -- the supersets --------------------------------------------------------------------------
# secrets.scan runs its token regexes only when the text holds a _TOKEN_WORDS word, or "aws"
# in its lower-cased text; every token regex holds its word (or `aws`, any case) literally.
TOKEN_HINT = _any_of(secrets._TOKEN_WORDS) + "|(?i:aws)"
# ... and its generic scan only where the lower-cased text holds a _KEY_WORDS word. str.lower
# turns two non-ASCII characters into ASCII letters: U+0130 (İ -> i + dot) and U+212A
# (Kelvin sign -> k); grep matches their UTF-8 bytes (git runs with LC_ALL=C: bytes, and
# ASCII-only case folding, the same as Python's bytes patterns below).
SECRET_HINT = (_any_of(secrets._TOKEN_WORDS) + "|(?i:" + _any_of(secrets._KEY_WORDS + ("aws",))
               + r")|\xc4\xb0|\xe2\x84\xaa")
GREP = {
    # search -> (the kinds of file it reads, grep output: -l files / -n lines, pattern)
    "plain": (("plain",), "-l", TOKEN_HINT),                       # not generic
    "generic": (("generic",), "-l", SECRET_HINT),                  # generic, not code
    # server code (generic): the lines with a rule word (the candidates of code_marks), a
    # word that has the file parsed whole (PY_ALWAYS; JS_ALWAYS holds `process.env` or
    # `Bun.env`, which hold the JS words `process` and `Bun.`), or a credential word. One
    # search per file: reading the blobs costs git more than matching them.
    "py": (("py",), "-n", _any_of(WORDS["py"] + PY_ALWAYS) + "|" + SECRET_HINT),
    "js": (("js",), "-n", _any_of(WORDS["js"]) + "|" + SECRET_HINT),
}
FOLDER = {"plain": "a", "generic": "b", "py": "p", "js": "j"}
# on grep's -n output as a whole (`<folder>/<n>:<line>:<text>` records)
_PY_ALWAYS_LINE = Pattern(_any_of(PY_ALWAYS).encode())
# JS_ALWAYS is `\}\s*=\s*(?:process|Bun)\.env\b`: on the line of `process.env` / `Bun.env`,
# what comes before it is `=` and whitespace, or only whitespace (the `=` is on a line
# above; the `:` ending the record's prefix stands for the line start). Python's \s also
# matches \x1c-\x1f and non-ASCII spaces (bytes >= 0x80 in UTF-8).
_JS_ENV_LINE = Pattern(rb"[:=][\s\x1c-\x1f\x80-\xff]*(?:process|Bun)\.env")
_WORDS_B = {lang: tuple(w.encode() for w in words) for lang, words in WORDS.items()}
# SECRET_HINT in Python, as plain searches (a regex with ignored case is slow here): the
# token words as they are, the key words and `aws` in the ASCII-lower-cased output, the two
# characters' bytes as they are
_TOKENS_B = tuple(w.encode() for w in secrets._TOKEN_WORDS) + (b"\xc4\xb0", b"\xe2\x84\xaa")
_KEYS_B = tuple(w.encode() for w in secrets._KEY_WORDS) + (b"aws",)


class _Unavailable(Exception):
    """git cannot run this survey here; the caller falls back to the reference."""


class Survey:
    """The git side starts in the constructor (a scratch index, then every search and read
    as a background process); finish() collects it. close() stops whatever still runs."""

    def __init__(self, git, changed, server, jobs, tests) -> None:
        self.git = git
        self.pending: dict = {}
        self.index = None
        # where each file sits, decided from its path alone
        placed = self.placed = []    # (change, in tests, in server, kind, generic)
        listed = self.listed = {"plain": [], "generic": [], "py": [], "js": []}  # -> placed
        direct = self.direct = []    # read whole at once: job files and start scripts
        is_config, place = secrets.is_config, placer(server, jobs, tests)
        for change in changed:
            if change.new_sha == ZERO_SHA:
                continue                     # not in the object store: nothing to read
            in_tests, in_server, kind = place(change.path)
            generic = not in_tests and (in_server or is_config(change.path))
            i = len(placed)
            placed.append((change, in_tests, in_server, kind, generic))
            if kind is not None and kind != "script" and not kind[1]:
                listed[kind[0]].append(i)
                continue
            if kind is not None:
                direct.append(i)             # read whole, and searched for credentials too
            listed["generic" if generic else "plain"].append(i)

        try:
            self._start(git)
        except BaseException:
            self.close()
            raise

    def _start(self, git) -> None:
        placed, listed, direct, pending = self.placed, self.listed, self.direct, self.pending
        # started in the order they are needed: the files read whole are surveyed while the
        # code searches run, and those decide what is read next
        first = [placed[i][0] for i in direct]
        self.first_shas = [c.new_sha for c in first] + _old_shas(first)
        if self.first_shas:
            pending["read"] = git.start_read_blobs(self.first_shas)
        width = len(str(len(placed)))
        entries = []
        for kind, items in listed.items():
            name = f"{FOLDER[kind]}/%0{width}d"
            entries += [(name % i, placed[i][0].new_sha) for i in items]
        self.index = ScratchIndex(git, entries)
        for search in ("py", "js"):
            if listed[search]:
                pending[search] = self._grep(search)
        code = [placed[i][0].new_sha for i in listed["py"] + listed["js"]]
        if code:                                                   # "big" needs the size
            pending["sizes"] = git.start_check_blobs(code)
        if listed["generic"]:
            pending["generic"] = self._grep("generic")
        # the other files' search is needed last: it starts once the code searches are done

    def _grep(self, search: str):
        kinds, mode, pattern = GREP[search]
        return self.index.grep([mode, "-P", "-e", pattern],
                               [FOLDER[kind] for kind in kinds if self.listed[kind]])

    def close(self) -> None:
        for proc in self.pending.values():
            proc.close()
        self.pending = {}
        if self.index is not None:
            self.index.close()
            self.index = None

    def _result(self, search: str) -> bytes:
        if search not in self.pending:
            return b""
        try:
            return self.pending.pop(search).result(ok_codes=(0, 1))
        except GuardError:
            raise _Unavailable from None         # no PCRE in this git, an unreadable blob

    def finish(self, meanwhile=None):
        """(secret hits, parse plan, files too big to parse), like `_read_and_survey`; None
        when git could not do its part. ``meanwhile()`` runs while git reads what the
        searches asked for."""
        try:
            return self._finish(meanwhile or (lambda: None))
        except _Unavailable:
            return None
        finally:
            self.close()

    def _finish(self, meanwhile):
        placed, listed, direct, pending = self.placed, self.listed, self.direct, self.pending
        blobs = parse_batch(self.first_shas, pending.pop("read").result()) if direct else {}
        # job files and start scripts, read whole: surveyed while git searches
        found = {}                           # placed index -> (source, entry)
        for i in direct:
            item = self._surveyed(i, blobs, ())
            if item:
                found[i] = item

        # server code: what the searches found decides what is read
        flagged: set[int] = set()            # may hold a credential: scanned
        marks: dict[int, list[int]] = {}     # marked lines (code_marks' answer)
        whole: set[int] = set()              # may be parsed whole
        code = {lang: self._result(lang) for lang in ("py", "js")}
        if self.listed["plain"]:
            pending["plain"] = self._grep("plain")
        try:
            for lang in ("py", "js"):
                _lines(code[lang], lang, flagged, marks, whole)
        except (ValueError, IndexError):
            raise _Unavailable from None     # output not as expected: not guessed at
        wanted = flagged.union(marks, whole)
        size_of = _sizes(pending.pop("sizes").result()) if "sizes" in pending else {}
        for i in listed["py"] + listed["js"]:
            if size_of.get(placed[i][0].new_sha, 0) > MAX_BYTES:
                wanted.add(i)
        reading = self._read(wanted)
        meanwhile()
        blobs.update(reading())
        for i in wanted:
            item = self._surveyed(i, blobs, marks.get(i, []))
            if item:
                found[i] = item

        # other files: only those that may hold a credential are read
        for search in ("generic", "plain"):
            for name in self._result(search).split(b"\n"):
                if name:
                    flagged.add(_number(name))
        others = flagged.difference(wanted, direct)
        blobs.update(self._read(others)())
        for i in others:
            item = self._surveyed(i, blobs, ())
            if item:
                found[i] = item

        # in the order of `changed`, as the reference survey lists them
        secret_hits, plan, big = [], [], []
        for i in sorted(found):
            src, entry_ = found[i]
            if i in flagged:
                generic = placed[i][4]
                hits = secrets.scan(src.text, src.path, generic=generic)
                if hits:
                    secret_hits.append((src, hits))
            if entry_ == "big":
                big.append((src, too_big_facts(src)))
            elif entry_ is not None:
                plan.append((src, *entry_))
        return secret_hits, plan, big

    def _read(self, indexes):
        """Start reading the new side (and the old side of modified files) of placed files;
        returns the function that collects them (id -> content)."""
        changes = [self.placed[i][0] for i in sorted(indexes)]
        shas = [c.new_sha for c in changes] + _old_shas(changes)
        if not shas:
            return lambda: {}
        proc = self.pending["later"] = self.git.start_read_blobs(shas)

        def collect() -> dict:
            self.pending.pop("later", None)
            return parse_batch(shas, proc.result())

        return collect

    def _surveyed(self, i: int, blobs: dict, marks):
        """(source, parse plan entry) of placed[i] with its content read — the reference
        survey's answer — or None for a binary (or unreadable) file."""
        change, in_tests, in_server, kind, _generic = self.placed[i]
        data = blobs.get(change.new_sha)
        if data is None or b"\0" in data[:8000]:
            return None                      # binary: no code, and the token formats are text
        src = Source(change, data)
        src.in_tests, src.in_server = in_tests, in_server
        if not src.all_changed:
            src.set_old(blobs.get(change.old_sha))
        if kind == "script":
            kind = ("sh", False) if b"-" in data else None
        # entry() tests PY_ALWAYS / JS_ALWAYS on the whole text itself; grep's marked lines
        # are the ones code_marks finds
        return src, None if kind is None else entry(src, *kind, marks=list(marks))


def start(git, changed, server, jobs, tests) -> Survey | None:
    """The survey of ``changed`` started in the background, or None when git cannot run it
    here (the caller then runs the reference survey)."""
    try:
        return Survey(git, changed, server, jobs, tests)
    except (GuardError, OSError):       # no git process, no temporary folder
        return None


def _old_shas(changes) -> list[str]:
    """Old sides to read with the new ones: modified files (an added or copied file is
    changed on every line, so its old side is never asked for)."""
    return [c.old_sha for c in changes if c.old_sha != ZERO_SHA and c.status not in ("A", "C")]


def _number(name: bytes) -> int:
    """The index in `placed` of a scratch index name (`<folder>/<n>`)."""
    if name[1:2] != b"/" or not name[2:].isdigit():
        raise _Unavailable                   # output not as expected: not guessed at
    return int(name[2:])


def _sizes(out: bytes) -> dict[str, int]:
    sizes = {}
    for line in out.split(b"\n"):
        parts = line.split()
        if len(parts) == 3 and parts[1] == b"blob":
            sizes[parts[0].decode()] = int(parts[2])
    return sizes


def _heads(out: bytes, needles, found: set[int]) -> None:
    """Add the start offsets of the -n output records that hold one of ``needles``."""
    for needle in needles:
        at = out.find(needle)
        while at >= 0:
            found.add(out.rfind(b"\n", 0, at) + 1)
            end = out.find(b"\n", at)
            at = out.find(needle, end) if end >= 0 else -1


def _lines(out: bytes, lang: str, flagged: set[int], marks: dict[int, list[int]],
           whole: set[int]) -> None:
    """grep -n output over one language's server code: `<folder>/<n>:<line>:<text>`."""
    def number(head: int) -> int:
        return int(out[head + 2:out.index(b":", head)])

    secret: set[int] = set()
    _heads(out, _TOKENS_B, secret)
    _heads(out.lower(), _KEYS_B, secret)
    flagged.update(map(number, secret))
    always = {out.rfind(b"\n", 0, m.start()) + 1 for m in
              (_PY_ALWAYS_LINE if lang == "py" else _JS_ENV_LINE).finditer(out)}
    whole.update(map(number, always))
    wordless = secret | always          # lines that may hold no WORDS word: look
    words = _WORDS_B[lang]
    pattern = PY_MARK if lang == "py" else JS_MARK
    current, candidates, head = None, [], 0
    for record in out.split(b"\n"):
        at, head = head, head + len(record) + 1
        if not record:
            continue
        name, line_no, line = record.split(b":", 2)
        # grep matched a WORDS word here, unless it matched something else
        if at in wordless and not any(map(line.__contains__, words)):
            continue
        i = int(name[2:])
        if i != current:
            if candidates:
                found = marked_lines(candidates, pattern, lang)
                if found:
                    marks[current] = found
            current, candidates = i, []
        candidates.append((int(line_no), line.decode("utf-8", "replace")))
    if candidates:
        found = marked_lines(candidates, pattern, lang)
        if found:
            marks[current] = found
