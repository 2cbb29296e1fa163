"""`guard verify-report REPORT.md`: hold an agent's hand-off report to the facts.

The report is read in the seed's "How You Report Back" shape — five sections, found by name
whatever their numbering, bold or heading level. The facts come from one engine run over the
same range (every registered check, --only/--skip honoured): the diff, the commits, the test
results (--tests-junit or guard.tests), the contract check's findings and the migrations
check's published notes. Each mismatch is a finding of check `report` (REPORT0xx); a claim
whose check did not run is reported as unverified, never as verified.
"""

from __future__ import annotations

import json
import os
import re
import string
from dataclasses import dataclass, field, replace

from guard.errors import GuardError
from guard.finding import Finding

CHECK = "report"
SECTIONS = (
    ("summary", "Summary of changes", ("summary of changes", "summary")),
    ("tests", "Test results", ("test results", "tests")),
    ("api", "API deviations", ("api deviations", "deviations from the api contract",
                               "deviations")),
    ("migrations", "Migration notes", ("migration notes", "migrations")),
    ("commits", "Commit references", ("commit references", "commits")),
)
KIND_WORDS = (
    ("A", ("created", "added", "new file", "new files", "adds", "create", "add")),
    ("M", ("modified", "changed", "updated", "edited", "modify", "update", "changes to")),
    ("D", ("deleted", "removed", "delete", "remove")),
    ("R", ("renamed", "moved", "rename", "move")),
)
KIND_NAMES = {"A": "created", "M": "modified", "D": "deleted", "R": "renamed"}


# -- the report as written ------------------------------------------------------------------
@dataclass
class Section:
    key: str
    title: str
    line: int | None
    lines: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(t for _, t in self.lines)

    @property
    def empty(self) -> bool:
        """Nothing written under the heading: blank lines, rules (`---`) and comments are
        layout, not an answer ("None" is one)."""
        return not any(t.strip() and not _LAYOUT.match(t) for _, t in self.lines)


_LAYOUT = re.compile(r"^\s*(?:(?:[-*_]\s*){3,}|<!--.*-->)\s*$")


@dataclass
class Written:
    file: str
    head: list[tuple[int | None, str]]          # lines before the first section (title)
    sections: dict[str, Section]
    source_format: str = "markdown"             # markdown | json: how the agent wrote it


_DECOR = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[-*+]\s+)?(?:\*\*|__)?\s*"
                    r"(?:\(?\d{1,2}[.)]\s*|[IVX]{1,4}[.)]\s*)?(?:\*\*|__)?\s*")


def _heading(line: str) -> tuple[str, str] | None:
    """(section key, rest of the line) when ``line`` opens one of the five sections: a
    markdown heading, a numbered item, a bold lead-in, or "Name:" — with the section's name
    first (any case)."""
    stripped = _DECOR.sub("", line, count=1)
    lowered = stripped.lower()
    for key, _title, names in SECTIONS:
        for name in names:
            if not lowered.startswith(name):
                continue
            rest = stripped[len(name):]
            bold_close = rest.startswith(("**", "__"))
            rest_clean = rest.lstrip("*_ ").strip()
            if rest_clean and rest_clean[0] not in ":—–-(":
                continue                    # "Summary of the day ..." is prose
            heading_like = (line.lstrip().startswith("#") or bold_close or
                            (not rest_clean and name == names[0]) or
                            bool(re.match(r"^\s*(?:[-*+]\s+)?\(?\d{1,2}[.)]\s", line)) or
                            rest_clean.startswith(":"))
            if not heading_like:
                continue
            return key, rest_clean.lstrip(":—–-").strip().strip("*_ ").strip()
    return None


def parse_markdown(text: str, file: str) -> Written:
    head: list[tuple[int | None, str]] = []
    sections: dict[str, Section] = {}
    current: Section | None = None
    fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        found = None if fence else _heading(line)
        if found and found[0] not in sections:
            key, rest = found
            title = next(t for k, t, _ in SECTIONS if k == key)
            current = sections[key] = Section(key, title, number)
            if rest:
                current.lines.append((number, rest))
            continue
        if current is None:
            head.append((number, line))
        else:
            current.lines.append((number, line))
    return Written(file, head, sections)


def _norm_key(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


def json_field(key: str) -> str:
    """A section's key in a JSON report: "api" -> "api_deviations"."""
    return next(names[0] for k, _t, names in SECTIONS if k == key).replace(" ", "_")


_JSON_TYPES = {str: "a string", int: "a number", float: "a number", bool: "true or false",
               list: "a list", dict: "an object"}


def _json_type(value) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _json_key_line(text: str, key: str) -> int | None:
    """The line of ``"key":`` in the JSON text, when the key is written there just once."""
    found = list(re.finditer(re.escape(json.dumps(key)) + r"\s*:", text))
    if len(found) != 1:
        found = list(re.finditer(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:",
                                 text))
    return text.count("\n", 0, found[0].start()) + 1 if len(found) == 1 else None


def check_json_fields(data: dict, file: str, text: str) -> None:
    """Each field of a JSON report has a type its section can be read from; a field of the
    wrong type is a GuardError naming it (the report cannot be verified). null is left to
    verify(), which reports it as an empty section."""
    sections = {_norm_key(n): key for key, _t, names in SECTIONS for n in names}
    for name, value in data.items():
        norm = _norm_key(name)
        if value is None or (norm != "title" and norm not in sections):
            continue
        key = sections.get(norm)
        if norm == "title":
            ok, want = isinstance(value, str), "a string"
        elif key == "commits":
            ok, want = (isinstance(value, list),
                        "a list of commits (shas, or {sha, message} objects)")
        else:
            ok, want = isinstance(value, (str, list, dict)), "a string, a list or an object"
        bad_item = None
        if ok and isinstance(value, list):
            bad_item = next((i for i, item in enumerate(value)
                             if not isinstance(item, (str, dict))), None)
        if ok and bad_item is None:
            continue
        got = (f"item {bad_item} is {_json_type(value[bad_item])} ({value[bad_item]!r:.40})"
               if bad_item is not None else f"is {_json_type(value)} ({value!r:.40})")
        raise GuardError(f"the JSON report's field {name!r} {got}; it must be {want}, so "
                         "the report cannot be verified", path=file,
                         line=_json_key_line(text, name),
                         hint=f"fix {name} in the report"
                              + ("" if norm == "title" else
                                 ' ("None" or [] when there is nothing to report)'))


def json_to_markdown(data, file: str) -> str:
    """A JSON report ({title, summary_of_changes, test_results, api_deviations,
    migration_notes, commit_references}) as the equivalent markdown."""
    if not isinstance(data, dict):
        raise GuardError(f"the JSON report is a {type(data).__name__}, not an object", path=file,
                         hint="write an object with title, summary_of_changes, test_results, "
                              "api_deviations, migration_notes, commit_references")
    keys = {_norm_key(k): v for k, v in data.items()}
    out = [f"# {keys.get('title') or ''}"]

    def emit(value, indent=""):
        if value is None:
            return
        if isinstance(value, str):
            out.extend(indent + line for line in value.splitlines() or [""])
        elif isinstance(value, list):
            if not value:
                out.append(indent + "None")
            for item in value:
                if isinstance(item, dict):
                    out.append(indent + "- " + " — ".join(
                        f"`{v}`" if k.lower() in ("sha", "commit", "file", "path") else
                        f"{k}: {v}" for k, v in item.items()))
                else:
                    out.append(indent + f"- `{item}`" if isinstance(item, str) and
                               re.fullmatch(r"[\w./@+-]+", item) else indent + f"- {item}")
        elif isinstance(value, dict):
            for k, v in value.items():
                out.append(f"{indent}**{k.replace('_', ' ')}**:")
                emit(v, indent)
        else:
            out.append(indent + str(value))

    for key, title, names in SECTIONS:
        found = next((keys[_norm_key(n)] for n in names if _norm_key(n) in keys), "__absent__")
        if found == "__absent__":
            continue
        out.append(f"## {title}")
        emit(found)
    return "\n".join(out) + "\n"


def read(path: str, fmt: str) -> Written:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise GuardError("report file not found", path=path,
                         hint="pass the agent's hand-off report (markdown or JSON)") from None
    except OSError as exc:
        raise GuardError(f"cannot read the report: {exc.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8-sig")     # a BOM (Windows editors write one) is not content
    except UnicodeDecodeError as exc:
        raise GuardError(f"not a text report: not valid UTF-8 ({exc.reason} at byte "
                         f"{exc.start})", path=path,
                         hint="pass the agent's hand-off report, saved as UTF-8") from None
    if "\0" in text:
        raise GuardError(f"not a text report: a NUL byte at byte {text.index(chr(0))}",
                         path=path, hint="pass the agent's hand-off report (markdown or JSON)")
    if not text.strip():
        raise GuardError("the report is empty", path=path,
                         hint="pass the agent's hand-off report")
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GuardError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno,
                             hint="fix the file, or pass --report-format markdown") from None
        if isinstance(data, dict):
            check_json_fields(data, path, text)
        written = parse_markdown(json_to_markdown(data, path), path)
        # line numbers of generated markdown mean nothing in the JSON file
        for sec in written.sections.values():
            sec.line = None
            sec.lines = [(None, t) for _, t in sec.lines]
        written.head = [(None, t) for _, t in written.head]
        written.source_format = "json"
        return written
    return parse_markdown(text, path)


# -- claims ---------------------------------------------------------------------------------
_PUNCT = frozenset(string.punctuation)
_BACKTICKS = re.compile(r"`+")
_BARE_PATH = re.compile(r"(?<![\w/.@`-])((?:[\w@.+-]+/)+[\w@.+*-]*|[\w+-]+\.[A-Za-z][\w]{0,7})"
                        r"(?![\w/`])")
_SHA = re.compile(r"(?<![0-9a-fA-F])([0-9a-f]{7,40})(?![0-9a-zA-Z])")


def _looks_like_path(token: str) -> bool:
    token = token.strip()
    if not token or " " in token or "://" in token or token.startswith(("-", "$")):
        return False
    if re.fullmatch(r"[0-9a-f]{7,40}", token):
        return False
    return "/" in token or bool(re.search(r"\.[A-Za-z][\w]{0,7}$", token))


def _inline(line: str, keep_code: bool = False) -> tuple[list[str], str]:
    """The code spans of a Markdown line (their text, as CommonMark reads it) and the rest of
    the line with backslash escapes resolved (`\\_` is `_`, `\\<` is `<`), each span replaced
    by a space, or by its text with ``keep_code``. A span closes at the next backtick run
    of its opening's length, so ``a`b.py`` is one span; an escaped backtick opens none. In
    a table row a `\\|` is a `|` everywhere, code spans included: GFM removes that
    backslash before it parses a cell."""
    if line.lstrip().startswith("|"):
        line = line.replace("\\|", "|")
    codes: list[str] = []
    rest: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n and line[i + 1] in _PUNCT:
            rest.append(line[i + 1])
            i += 2
            continue
        if ch != "`":
            rest.append(ch)
            i += 1
            continue
        opening = _BACKTICKS.match(line, i)
        fence = opening.group()
        close = next((m for m in _BACKTICKS.finditer(line, opening.end())
                      if len(m.group()) == len(fence)), None)
        if close is None:               # no closing run: the backticks are text
            rest.append(fence)
            i = opening.end()
            continue
        text = line[opening.end():close.start()]
        if len(text) > 1 and text[0] == " " and text[-1] == " " and text.strip():
            text = text[1:-1]
        codes.append(text)
        rest.append(text if keep_code else " ")
        i = close.end()
    return codes, "".join(rest)


def _plain(line: str) -> str:
    """A Markdown line as the text it renders: escapes resolved, code spans as their text."""
    return _inline(line, keep_code=True)[1]


def _paths_in(line: str, known: frozenset[str] = frozenset()) -> list[str]:
    """The paths a line names: code spans that look like paths (or that name exactly a path
    in ``known``, spaces and all, as guard's own report writes them) and bare paths in the
    text around them."""
    codes, rest = _inline(line)
    found = [t if t in known else t.strip() for t in codes
             if t in known or _looks_like_path(t)]
    for token in _BARE_PATH.findall(rest):
        token = token.rstrip(".,;:)")
        last = token.rstrip("/").rsplit("/", 1)[-1]
        if "/" in token and _looks_like_path(token) and not token.startswith("//") and \
                (token.endswith("/") or re.search(r"\.[A-Za-z][\w]{0,7}$", last)):
            found.append(token)
    out = []
    for token in found:
        if token in known:
            parts = [token]
        else:
            token = token.strip().strip("'\"").lstrip("./") if token.startswith("./") else \
                token.strip().strip("'\"")
            parts = re.split(r"\s*(?:→|->|=>)\s*", token)
        for part in parts:
            if part and part not in out:
                out.append(part)
    return out


def _kind_of(line: str) -> str | None:
    lowered = line.lower()
    best = None
    for kind, words in KIND_WORDS:
        for word in words:
            m = re.search(rf"\b{re.escape(word)}\b", lowered)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), kind)
    return best[1] if best else None


@dataclass(frozen=True)
class FileClaim:
    path: str
    kind: str | None
    line: int | None


def file_claims(section: Section, known: frozenset[str] = frozenset()) -> list[FileClaim]:
    claims: list[FileClaim] = []
    current_kind: str | None = None
    for number, line in section.lines:
        stripped = line.strip()
        if not stripped:
            continue
        lowered = stripped.lower()
        is_item = bool(re.match(r"^([-*+]|\d+[.)])\s", stripped))
        if not is_item and re.search(r"\bdecisions?\b", lowered) and len(stripped) < 60 and \
                (stripped.endswith(":") or stripped.startswith(("#", "**", "__")) or
                 stripped.endswith(("**", "__", ":**"))):
            break                               # key decisions: prose, not file claims
        paths = _paths_in(stripped, known)
        if not paths:
            kind = _kind_of(stripped)
            if kind and not is_item:
                current_kind = kind             # a sub-heading: "**Files created**"
            continue
        if stripped.startswith("|"):
            kind = _kind_of(stripped)           # a table row: | `path` | created |
        else:
            # only words before the first path say what happened to it ("- Created `x`");
            # words after it describe the change ("`x` — updated the fixtures")
            first = min((stripped.find(p) for p in paths if p in stripped), default=0)
            kind = _kind_of(stripped[:max(first, 0)])
        if kind and not is_item and not stripped.startswith("|"):
            current_kind = kind
        for path in paths:
            claims.append(FileClaim(path, kind or current_kind, number))
    return claims


_NONE = re.compile(r"^\W*(none|n/?a|no\b.*|nothing\b.*|-|—|not applicable)\W*$", re.I)


def _says_none(section: Section) -> bool:
    body = [t.strip() for _, t in section.lines if t.strip()]
    if not body:
        return True
    text = " ".join(body).lower()
    if _NONE.match(body[0]) and len(body) <= 2:
        return True
    return bool(re.search(r"\bno (api )?deviations?\b|\bnone\b|implemented (exactly )?as "
                          r"specified|matches the (api )?contract|no migrations?\b", text)) and \
        not re.search(r"\bdeviat\w*\s*:\s*(?!none)\w", text)


_ZERO_FAIL = re.compile(r"\b(?:0|no|zero)\s+(?:tests?\s+)?(?:fail\w*|errors?)\b|"
                        r"\bfail\w*\s*[:=]\s*0\b|\berrors?\s*[:=]\s*0\b", re.I)


def tests_claim(section: Section) -> str | None:
    """passed | failed | not run | None (nothing stated)."""
    text = _ZERO_FAIL.sub(" ", section.text.lower())
    if re.search(r"\bnot (been )?run\b|\bdid not run\b|\bnot executed\b|\bno tests\b|"
                 r"\bskipped (the )?tests\b|\bcould not run\b", text):
        return "not run"
    if re.search(r"\bfail\w*\b|\berrors?\b|❌|\bred\b|\bbroken\b", text):
        return "failed"
    if re.search(r"\bpass\w*\b|\bgreen\b|✅|\ball tests? (ok|succeed\w*)\b|\b\d+ ok\b|"
                 r"\bsucce\w+\b", text):
        return "passed"
    return None


# -- verification ---------------------------------------------------------------------------
def _f(rule: str, severity: str, message: str, hint: str, file: str, line: int | None,
       **data) -> Finding:
    return Finding(rule, CHECK, severity, message, hint, file, line,
                   tuple(sorted(data.items())))


def _covered(path: str, claim: str) -> bool:
    """``claim`` names ``path``: the same path, a folder above it, or a glob matching it."""
    if claim == path:
        return True
    prefix = claim.rstrip("*").rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        return True
    if "*" in claim or "?" in claim:
        import fnmatch
        return fnmatch.fnmatch(path, claim)
    return False


def _relative(claims, root: str):
    """Absolute paths into the checkout, as agents sometimes write them, made relative."""
    roots = [r.rstrip("/") + "/" for r in {root, os.path.realpath(root)} if r]
    out = []
    for claim in claims:
        path = claim.path if isinstance(claim, FileClaim) else claim
        for r in roots:
            if path.startswith(r):
                path = path[len(r):]
                break
        out.append(FileClaim(path, claim.kind, claim.line) if isinstance(claim, FileClaim)
                   else path)
    return out


def verify(written: Written, report, *, contract_available: bool) -> list[Finding]:
    file = written.file
    out: list[Finding] = []
    for key, title, _names in SECTIONS:
        if key not in written.sections:
            out.append(_f("REPORT001", "error", f"the report has no '{title}' section",
                          f"add a '{title}' section (\"None\" is an answer)", file, None,
                          section=title))
        elif written.sections[key].empty:
            out.append(_empty(written, written.sections[key]))
    out += _persona(written, report)
    # an empty section claims nothing: it is not read as "none" (no deviations, no
    # migrations), nor checked as a list that leaves every file or commit out
    sec = {k: s for k, s in written.sections.items() if not s.empty}
    if "summary" in sec:
        out += _summary(written, sec["summary"], report)
    if "commits" in sec:
        out += _commits(written, sec["commits"], report)
    if "tests" in sec:
        out += _tests(written, sec["tests"], report)
    if "api" in sec:
        out += _api(written, sec["api"], report, contract_available)
    if "migrations" in sec:
        out += _migrations(written, sec["migrations"], report)
    out += _topology(written, report)
    return out


# -- queue topology -------------------------------------------------------------------------
_NEGATED = re.compile(r"\b(?:no|none|not|without|n/a)\b", re.I)
_CLAIM_QUEUE = re.compile(r"\bqueue\b\W{0,3}([\w:.\-]+)", re.I)
TOPOLOGY_FACETS = (("retry", ("retr", "backoff", "attempt"), "a retry policy"),
                   ("idempotency", ("idempot", "dedup"), "an idempotency key"),
                   ("dead_letter", ("dead", "dlq", "failure handl", "on_failure"),
                    "a dead letter"))


def _lines_of(written: Written) -> list[tuple[int | None, str]]:
    lines = list(written.head)
    for section in written.sections.values():
        lines.append((section.line, section.title))
        lines += section.lines
    return lines


def _table_claims(lines) -> list[tuple[int | None, dict[str, str]]]:
    """Rows of markdown tables whose header names a queue column, as {column: cell}."""
    out, header = [], None
    for number, text in lines:
        cells = [c.strip().strip("`*") for c in text.strip().strip("|").split("|")]
        if "|" not in text:
            header = None
            continue
        if header is None:
            lowered = [c.lower() for c in cells]
            header = lowered if any("queue" in c for c in lowered) else None
            continue
        if set(text.replace("|", "").strip()) <= set("-: "):
            continue
        row = {}
        for name, cell in zip(header, cells):
            key = ("queue" if "queue" in name else "job" if "job" in name or "task" in name
                   else "retry" if "retr" in name else "idempotency" if "idempot" in name
                   else "dead_letter" if "dead" in name or "dlq" in name else name)
            row.setdefault(key, cell)
        out.append((number, row))
    return out


def _topology(written: Written, report) -> list[Finding]:
    facts = (report.facts or {}).get("conventions")
    jobs = (facts or {}).get("jobs") or []
    if not jobs:
        return []
    file = written.file
    lines = _lines_of(written)
    text = "\n".join(t for _, t in lines)
    rows = _table_claims(lines)
    out: list[Finding] = []
    for job in jobs:
        name = job["job"]
        # the job's name as a word, not a piece of a path (`src/workers/emails.ts`)
        word = re.compile(r"(?<![\w./-])" + re.escape(name) + r"(?![\w/-]|\.\w)")
        where = f"{job['path']}:{job['line']}"
        if not word.search(text):
            out.append(_f("REPORT020", "warning",
                          f"the report does not document the queue topology of "
                          f"{job['kind']} {name!r} ({where}, queue {job['queue']})",
                          "add a Queue topology part under Summary of changes: each job, its "
                          "queue, retry policy, idempotency key and dead letter (`guard "
                          "report` prints it from the code)", file, None, job=name))
            continue
        actual_queue = job["queue"].split(" (")[0]
        claims: list[tuple[int | None, str, str]] = []      # (line, facet, claimed text)
        for number, row in rows:
            if any(word.search(v) for v in row.values()):
                claims += [(number, k, v) for k, v in row.items()
                           if k in ("queue", "retry", "idempotency", "dead_letter")]
        for number, line in lines:
            if not word.search(line) or "|" in line:
                continue
            m = _CLAIM_QUEUE.search(line)
            if m:
                claims.append((number, "queue", m.group(1).strip("`'\".,;")))
            for facet, needles, _what in TOPOLOGY_FACETS:
                low = line.lower()
                hit = next((n for n in needles if n in low), None)
                if hit is None:
                    continue
                before = low[max(0, low.find(hit) - 25):low.find(hit)]
                claims.append((number, facet, "none" if _NEGATED.search(before) else hit))
        for number, facet, claimed in claims:
            if facet == "queue":
                if claimed and claimed.lower() not in ("", "-", "default") and \
                        claimed != actual_queue and not actual_queue.startswith(claimed):
                    out.append(_f("REPORT021", "error",
                                  f"the report puts {name!r} on queue {claimed!r}; the code "
                                  f"puts it on {job['queue']} ({where})",
                                  "write the queue the code uses, or change the code", file,
                                  number, job=name))
                continue
            what = next(w for f, _n, w in TOPOLOGY_FACETS if f == facet)
            says_none = claimed.lower() in ("none", "-", "no", "none defined", "n/a", "") or \
                bool(_NEGATED.match(claimed))
            if not says_none and not job.get(facet):
                out.append(_f("REPORT021", "error",
                              f"the report claims {what} for {name!r}; the code defines none "
                              f"({where})",
                              f"define {what} on the job, or say in the report that it has "
                              "none", file, number, job=name))
    return out


def _empty(written: Written, section: Section) -> Finding:
    if written.source_format == "json":
        field_name = json_field(section.key)
        return _f("REPORT001", "error",
                  f"the report's '{section.title}' ({field_name}) is null or empty",
                  f'write "None" (or []) for {field_name} when there is nothing to report',
                  written.file, None, section=section.title)
    return _f("REPORT001", "error", f"the report's '{section.title}' section is empty",
              f'write "None" under \'{section.title}\' when there is nothing to report',
              written.file, section.line, section=section.title)


def _persona(written: Written, report) -> list[Finding]:
    if not report.persona:
        return []
    expected = f"{report.persona} ({report.role_title})"
    head = [(n, t) for n, t in written.head if t.strip()]
    if any(expected.lower() in _plain(t).lower() for _, t in head):
        return []
    first = head[0] if head else (1 if written.head and written.head[0][0] else None, "")
    shown = _plain(first[1]).strip().lstrip("# ").strip() or "(no title)"
    return [_f("REPORT014", "warning",
               f"the report's title is {shown!r}; the persona is configured "
               f"(personas.{report_persona_key(report)}), so it should introduce "
               f"{expected!r}",
               f"title the report \"{expected}\"", written.file, first[0])]


def report_persona_key(report) -> str:
    return report.facts.get("_persona_key", "") if isinstance(report.facts, dict) else ""


def _shown(report) -> dict[str, str]:
    """Each path the range changes, by the names a report can give it: itself and its
    printable form (guard's own report shows a newline in a name as \\n, like every format)."""
    from guard.report.common import safe_path
    out: dict[str, str] = {}
    for c in report.changes:
        for path in (c.path, c.old_path):
            if path:
                out.setdefault(safe_path(path), path)
                out[path] = path
    return out


def _known(report) -> frozenset[str]:
    return frozenset(_shown(report))


def _as_named(claims, report):
    """Claims made relative to the checkout, a printable name read as the path it shows."""
    shown = _shown(report)
    out = []
    for claim in _relative(claims, report.root):
        if isinstance(claim, FileClaim):
            out.append(replace(claim, path=shown.get(claim.path, claim.path)))
        else:
            out.append(shown.get(claim, claim))
    return out


def _summary(written: Written, section: Section, report) -> list[Finding]:
    file = written.file
    claims = _as_named(file_claims(section, _known(report)), report)
    changes = {}
    for c in report.changes:
        changes[c.path] = c
        if c.old_path:
            changes[c.old_path] = c
    out = []
    for claim in claims:
        if any(_covered(p, claim.path) for p in changes):
            c = changes.get(claim.path)
            if c and claim.kind and claim.kind in KIND_NAMES:
                actual = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R",
                          "copied": "A", "type changed": "M"}.get(c.status, "M")
                ok = claim.kind == actual or (c.status == "renamed" and
                                              (claim.kind in "AD" if claim.path == c.path or
                                               claim.path == c.old_path else False))
                if c.status == "renamed" and claim.kind == "A" and claim.path == c.old_path:
                    ok = False
                if c.status == "renamed" and claim.kind == "D" and claim.path == c.path:
                    ok = False
                if not ok:
                    out.append(_f("REPORT004", "warning",
                                  f"the summary lists {claim.path} as {KIND_NAMES[claim.kind]}; "
                                  f"the range shows it {c.status}",
                                  f"list {claim.path} under the files {c.status}", file,
                                  claim.line, path=claim.path))
            continue
        out.append(_f("REPORT002", "error",
                      f"the summary lists {claim.path}"
                      + (f" as {KIND_NAMES[claim.kind]}" if claim.kind else "")
                      + f", but the range {_range_words(report)} does not change it",
                      f"commit the work on {claim.path}, or remove it from the summary", file,
                      claim.line, path=claim.path))
    claimed = [c.path for c in claims]
    for c in report.changes:
        paths = [c.path] + ([c.old_path] if c.old_path else [])
        if any(_covered(p, cl) for p in paths for cl in claimed):
            continue
        out.append(_f("REPORT003", "warning",
                      f"{c.path} was {c.status} in the range but the summary does not mention it",
                      f"add {c.path} to the summary's files {c.status}", file, section.line,
                      path=c.path))
    return out


def _range_words(report) -> str:
    from guard.report.common import short
    return f"{short(report.merge_base)}..{short(report.head)}"


def _commits(written: Written, section: Section, report) -> list[Finding]:
    file = written.file
    listed: list[tuple[str, int | None]] = []
    ends = [sha for sha in (report.merge_base, report.base) if sha]
    in_range = [c.sha for c in report.commits]
    for number, line in section.lines:
        for token in _SHA.findall(re.sub(r"[0-9a-f]{7,40}\.\.\.?[0-9a-f]{7,40}", " ", line)):
            # a short word of a-f letters alone ("defaced") is prose, unless it is the
            # start of a commit in the range: one sha in ~2,600 has no digit in 8 characters
            if not (any(ch.isdigit() for ch in token) or len(token) >= 12 or
                    any(sha.startswith(token) for sha in in_range)):
                continue
            if any(sha.startswith(token) for sha in ends):
                continue           # the base the work started from, not a commit made
            listed.append((token, number))
    out = []
    matched: set[str] = set()
    for token, number in listed:
        hits = [sha for sha in in_range if sha.startswith(token)]
        if hits:
            matched.update(hits)
            continue
        out.append(_f("REPORT005", "error",
                      f"commit {token} is not in the checked range {_range_words(report)} "
                      f"({len(in_range)} commit(s))",
                      "copy the references from `git log --oneline` of the branch; push or "
                      "commit the missing work", file, number, sha=token))
    for c in report.commits:
        if c.sha not in matched:
            out.append(_f("REPORT006", "warning",
                          f"commit {c.sha[:8]} \"{c.header}\" is in the range but not in the "
                          "Commit references",
                          f"add {c.sha[:8]} {c.header} to the Commit references", file,
                          section.line, sha=c.sha))
    return out


def _tests(written: Written, section: Section, report) -> list[Finding]:
    file = written.file
    claim = tests_claim(section)
    evidence = report.tests
    if claim is None:
        return [_f("REPORT007", "warning",
                   "the Test results section states no result (pass, fail or not run)",
                   "state whether the tests passed, with counts from the test runner", file,
                   section.line)]
    if claim != "passed":
        return []
    if evidence is None or evidence.status == "not run":
        return [_f("REPORT007", "warning",
                   "the report says the tests pass, but there is no test evidence to check it "
                   "against (no --tests-junit file, no guard.tests configured)",
                   "pass --tests-junit FILE, or configure guard.tests so guard can run them",
                   file, section.line)]
    if evidence.status == "failed":
        detail = (f"{evidence.failures} failure(s), {evidence.errors} error(s) of "
                  f"{evidence.tests} test(s)" + (f"; {evidence.detail}" if evidence.detail
                                                 else ""))
        return [_f("REPORT008", "error",
                   f"the report says the tests pass; {evidence.source} shows {detail}",
                   "fix the failing tests, or report them as failing", file, section.line)]
    return []


def _api(written: Written, section: Section, report, contract_available: bool) -> list[Finding]:
    file = written.file
    if not _says_none(section):
        return []
    status = {r.name: r for r in report.checks}.get("contract")
    if not contract_available or status is None:
        why = "this guard version has no contract check"
    elif status.status == "skipped":
        why = f"the contract check did not run ({status.note or 'not selected'})"
    elif status.status == "error":
        why = f"the contract check could not run ({status.note})"
    else:
        why = None
    if why:
        return [_f("REPORT010", "warning",
                   f"the report claims no API deviations; unverified: {why}",
                   "configure the API contract (guard.contract / api.spec) so the claim can be "
                   "checked", file, section.line)]
    found = [f for f in report.findings if f.check == "contract" and
             f.severity in ("error", "warning")]
    if not found:
        return []
    first = found[0]
    where = f" at {first.path}:{first.line}" if first.path and first.line else \
        (f" at {first.path}" if first.path else "")
    return [_f("REPORT009", "error",
               f"the report claims no API deviations, but the contract check found "
               f"{len(found)}: first {first.rule}{where}: {first.message}",
               "fix the implementation to match the contract, or list each deviation with its "
               "reason", file, section.line)]


def _migrations(written: Written, section: Section, report) -> list[Finding]:
    file = written.file
    facts = report.facts.get("migrations") if isinstance(report.facts, dict) else None
    status = {r.name: r for r in report.checks}.get("migrations")
    new_files = facts.get("migrations", []) if isinstance(facts, dict) else []
    known = _known(report) | {m.get("file") for m in new_files
                              if isinstance(m, dict) and isinstance(m.get("file"), str)}
    claim_lines = {p: n for n, t in section.lines
                   for p in _as_named(_paths_in(t, frozenset(known)), report)}
    claims = list(claim_lines)
    if not isinstance(facts, dict) or status is None or status.status == "error":
        if _says_none(section) and not claims:
            why = ("this guard version has no migrations check" if status is None else
                   f"the migrations check did not run ({status.note})")
            return [_f("REPORT010", "warning",
                       f"the report says there are no migrations; unverified: {why}",
                       "run guard with the migrations check", file, section.line)]
        return [_f("REPORT010", "warning",
                   "the Migration notes cannot be checked: the migrations check published no "
                   "facts" + (f" ({status.note})" if status and status.note else ""),
                   "run guard with the migrations check", file, section.line)]
    new = [m.get("file") for m in facts.get("migrations", []) if isinstance(m, dict)]
    new = [m for m in new if m]
    out = []
    for path in new:
        if not any(_covered(path, c) or c.endswith(path) or path.endswith("/" + c)
                   for c in claims):
            out.append(_f("REPORT011", "error",
                          f"the range adds migration {path}; the Migration notes do not list it",
                          f"list {path} with what it does and its rollback steps", file,
                          section.line, path=path))
    for claim in claims:
        if any(_covered(p, claim) or claim.endswith(p) or p.endswith("/" + claim) for p in new):
            continue
        changed = {c.path for c in report.changes}
        if claim in changed:
            continue                 # a file the branch changed, mentioned in the notes
        out.append(_f("REPORT012", "error",
                      f"the Migration notes list {claim}, which the range does not add as a "
                      "migration",
                      f"commit the migration {claim}, or remove it from the notes", file,
                      claim_lines.get(claim), path=claim))
    if new and not re.search(r"\b(roll\s*back|rollback|revert|down\b|downgrade|undo)",
                             section.text, re.I):
        out.append(_f("REPORT013", "warning",
                      f"{len(new)} new migration(s) and no rollback steps in the Migration "
                      "notes",
                      "give each migration its rollback: the down migration to run, or the "
                      "manual steps", file, section.line))
    return out


# -- command --------------------------------------------------------------------------------
def run(report_file: str, *, report_format: str, fmt: str, repo, base, head, role, scope_file,
        policy, only, skip, outputs, fail_on, tests_junit, if_no_role, verify_migrations,
        run_tests: bool, staged: bool = False, **extra) -> tuple[str, int]:
    from guard import context, engine, registry, testsrun
    from guard.report import render
    from guard.report.model import CheckResult

    if staged:
        raise GuardError("verify-report checks a committed range; drop --staged")
    written = read(report_file, report_format)
    checks = engine.select_checks(only, skip)
    opts = context.Options(repo=repo, base=base, head=head, role=role, scope=scope_file,
                           policy=policy, verify_migrations=verify_migrations,
                           extra=tuple(sorted(extra.items())))
    from guard.checkcmd import build_context
    ctx = build_context(opts, if_no_role, "report not verified")
    if ctx is None:
        return ("", 0)
    cfg = ctx.policy.config
    tests = testsrun.for_run(ctx, junit_file=tests_junit, run_tests=run_tests)
    threshold = fail_on or cfg.fail_on or "error"
    facts_report = engine.run(ctx, checks, fail_on=threshold, tests=tests)
    keyed = facts_report._replace(facts={**facts_report.facts,
                                         "_persona_key": ctx.policy.role.persona_key or ""})
    shown = os.path.relpath(os.path.abspath(report_file), ctx.root)
    if shown.startswith(".."):
        shown = report_file
    written.file = shown.replace(os.sep, "/")
    raw = verify(written, keyed, contract_available="contract" in registry.CHECKS)
    final = [f for f in engine.decide(raw, ctx.policy) if f.check == CHECK]
    bad = [f for f in final if f.severity in ("error", "warning")]
    result = facts_report._replace(
        findings=tuple(final),
        checks=(CheckResult(CHECK, "failed" if bad else "passed", 0.0,
                            f"{report_file} against {len(facts_report.findings)} finding(s) of "
                            f"{', '.join(checks)}"),) + facts_report.checks,
        notes=facts_report.notes + (f"verified report: {written.file}",))
    text = render(fmt, result)
    from guard.checkcmd import append_step_summary, write_outputs
    write_outputs(result, outputs)
    append_step_summary(result, fmt, outputs)
    return text, 1 if result.failed else 0
