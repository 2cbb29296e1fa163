"""commits: every commit of merge-base..head follows the project's commit style, nothing
unfinished is handed off, and all work is committed.

`lint_message` is the pure part (one message, no git) shared by the check and by
`guard hook commit-msg`; `run` adds what needs the repository: merges, atomicity, the
dirty tree and the shallow-clone guard. Light imports only: this runs in hooks.
"""

import os
import re
from typing import Iterator, NamedTuple

from guard import commitmsg, gitmoji
from guard.checks.commits_spec import CommitSettings
from guard.errors import GuardError
from guard.finding import Finding
from guard.lazyre import Pattern

CHECK = "commits"


class Problem(NamedTuple):
    rule: str
    what: str
    hint: str
    line: int | None = None        # line of the message, when it is not the header
    header: str | None = None      # the whole header the hint proposes (in backticks in it)


# -- hygiene: WIP / fixup! / squash! / amend! / tmp ------------------------------------------
AUTOSQUASH = Pattern(r"^(fixup|squash|amend)! ")
_WIP_WORD = Pattern(r"(?<![\w-])(wip|work in progress|dnm)(?![\w-])", re.I)
# "do not merge" is a marker where it labels the commit (`DO NOT MERGE`, `[do not merge]`, a
# header or subject that starts with it), not in a subject that says what the code does
# (`fix(build): do not merge non-module inline scripts into bundle`, vite 2021)
_DO_NOT_MERGE = Pattern(r"[\[(]\s*do not merge\s*[\])]|^\W*do not merge\b"
                           r"|^[\w-]+(?:\([^)]*\))?!?:\s*do not merge(?:\W*$|\W*yet\b)")
_DO_NOT_MERGE_UPPER = Pattern(r"DO NOT MERGE")
# placeholders only: a one-word subject such as `test` or `update` is vague but may be honest
# Every quantifier here meets a class it cannot overlap, so matching is linear in the header
# (`\W*(\.+)\W*$` was quadratic on a header of dots); the last branch is "only dots and
# other punctuation".
_TMP_SUBJECT = Pattern(
    r"^\W*(tmp|temp|temporary|checkpoint|savepoint|asdf\w*|wip)\W*$|^(?=\W*\.)\W*$"
    r"|^\W*(tmp|temp)\s+(commit|fix|hack|change|changes|workaround|debug|save|stuff)\b",
    re.I)


def hygiene(header: str, subject: str | None, *, hook: bool) -> Problem | None:
    m = AUTOSQUASH.match(header)
    if m:
        if hook:
            return None
        return Problem("COMMIT008", f"{m.group(1)}! commit is still on the branch",
                       "squash it before hand-off: git rebase -i --autosquash <base>")
    if _WIP_WORD.search(header) or _do_not_merge(header):
        return Problem("COMMIT008", "work-in-progress commit",
                       "finish the change and squash or reword this commit (git rebase -i "
                       "<base>) so it says what it does")
    code = gitmoji.split_gitmoji(header)[0] if header[:1] == ":" or not header[:1].isascii() \
        else None
    if code in gitmoji.WIP_CODES:
        return Problem("COMMIT008", f"{code} (work in progress) commit",
                       "finish the change and squash or reword this commit (git rebase -i <base>)")
    for text in (header, subject):
        if text is not None and _TMP_SUBJECT.search(text.strip()):
            return Problem("COMMIT008", "temporary or placeholder commit",
                           "squash it into the commit it belongs to, or reword it to say what "
                           "it does (git rebase -i <base>)")
    return None


# commitlint's isSemver ignore: the header, less a `chore(...):` prefix and [skip ci], is a
# semantic version (`v21.2.0`, `chore(release): 1.2.3`)
_VERSION_HEADER = Pattern(
    r"^(?:chore(?:\([^)]*\))?:)?\s*(?:[\[(](?:skip|ci)[- ](?:ci|skip)[\])]\s*)?v?"
    r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
    r"\s*(?:[\[(](?:skip|ci)[- ](?:ci|skip)[\])])?\s*$", re.I)


def _do_not_merge(header: str) -> bool:
    if "merge" not in header.lower():
        return False
    if _DO_NOT_MERGE_UPPER.search(header):
        return True
    return bool(_DO_NOT_MERGE.search(header.lower()))


# -- derivations for hints -------------------------------------------------------------------
_VERBS = ("add", "allow", "apply", "avoid", "build", "bump", "change", "check", "clean",
          "convert", "correct", "create", "delete", "deprecate", "disable", "document", "drop",
          "enable", "ensure", "extract", "fix", "handle", "implement", "improve", "increase",
          "initialize", "introduce", "limit", "log", "make", "merge", "migrate", "move",
          "optimize", "prevent", "refactor", "reduce", "remove", "rename", "replace", "restore",
          "return", "revert", "rework", "rewrite", "run", "set", "simplify", "skip", "split",
          "start", "stop", "support", "switch", "test", "tidy", "update", "upgrade", "use",
          "validate", "write")
_IRREGULAR = {"made": "make", "wrote": "write", "rewrote": "rewrite", "rewritten": "rewrite",
              "ran": "run", "built": "build", "running": "run", "setting": "set",
              "splitting": "split", "stopped": "stop", "stopping": "stop", "logged": "log",
              "logging": "log", "dropped": "drop", "dropping": "drop", "skipped": "skip",
              "skipping": "skip"}


def _forms() -> dict[str, str]:
    out: dict[str, str] = {}
    for verb in _VERBS:
        stem = verb[:-1] if verb.endswith("e") else verb
        if verb.endswith(("s", "sh", "ch", "x", "z")):
            third = verb + "es"
        elif verb.endswith("y") and verb[-2] not in "aeiou":
            third = verb[:-1] + "ies"
        else:
            third = verb + "s"
        if verb.endswith("y") and verb[-2] not in "aeiou":
            past = verb[:-1] + "ied"
        elif verb.endswith("e"):
            past = verb + "d"
        else:
            past = verb + "ed"
        for form in (third, past, stem + "ing"):
            out.setdefault(form, verb)
    out.update(_IRREGULAR)
    return out


NON_IMPERATIVE = _forms()
_TYPE_BY_VERB = {"add": "feat", "allow": "feat", "create": "feat", "enable": "feat",
                 "implement": "feat", "introduce": "feat", "support": "feat",
                 "fix": "fix", "correct": "fix", "prevent": "fix", "handle": "fix",
                 "document": "docs", "test": "test", "refactor": "refactor",
                 "rename": "refactor", "move": "refactor", "extract": "refactor",
                 "simplify": "refactor", "rework": "refactor", "rewrite": "refactor",
                 "optimize": "perf", "bump": "build", "upgrade": "build"}
_TYPE_ALIASES = {"feature": "feat", "features": "feat", "bugfix": "fix", "hotfix": "fix",
                 "bug": "fix", "doc": "docs", "documentation": "docs", "tests": "test",
                 "testing": "test", "refactoring": "refactor", "performance": "perf",
                 "chores": "chore", "deps": "build", "dependencies": "build"}
_GITMOJI_BY_TYPE = {"feat": ":sparkles:", "fix": ":bug:", "docs": ":memo:", "style": ":art:",
                    "refactor": ":recycle:", "perf": ":zap:", "test": ":white_check_mark:",
                    "build": ":package:", "ci": ":construction_worker:", "chore": ":wrench:",
                    "revert": ":rewind:"}


def _base_verb(word: str) -> str:
    low = word.lower()
    return NON_IMPERATIVE.get(low, low)


def _guess_type(subject: str, types: tuple[str, ...]) -> str:
    first = subject.split(" ", 1)[0] if subject else ""
    guess = _TYPE_BY_VERB.get(_base_verb(first.strip(":,")), "feat")
    return guess if guess in types or not types else types[0]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def _imperative(subject: str) -> str:
    words = subject.split(" ", 1)
    base = _base_verb(words[0])
    return " ".join([base] + words[1:])


# -- styles ----------------------------------------------------------------------------------
CONVENTIONAL = Pattern(
    r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:(?P<space>\s*)"
    r"(?P<subject>.*)$")
# a typed header with stray spaces around the scope, `!` or colon: `feat (api) : add orders`
_LOOSE_TYPED = Pattern(r"^(?P<type>[A-Za-z][\w-]*)\s*(?:\(\s*(?P<scope>[^()\r\n]*?)\s*\))?"
                          r"\s*(?P<bang>!)?\s*:\s*(?P<subject>\S.*)$")
# git's `Revert "<header>"` (and, reverting a revert, git 2.43's `Reapply "<header>"`), with the
# ` (#123)` GitHub's squash merge appends and GitLab's ` (!123)`
REVERT = Pattern(r'^(?:Revert|Reapply) "(?P<inner>.*)"(?P<suffix>(?: \((?:#|!)\d+\))*)$')
_REVERT_REF = Pattern(r"This reverts commit [0-9a-f]{7,40}|^Reverts [\w.-]*/?[\w.-]*#\d+",
                         re.M)
_REVERT_TYPE = Pattern(r"(?i)revert(\(|!|:)")
_SHA = Pattern(r"\b[0-9a-f]{7,40}\b")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _has_url(line: str) -> bool:
    """``scheme://x`` anywhere in ``line``; linear, where a search for
    ``[A-Za-z][A-Za-z0-9+.-]*://`` restarts at every letter of a long word (quadratic)."""
    at = line.find("://")
    while at >= 0:
        if at + 3 < len(line) and not line[at + 3].isspace():
            start = at
            while start > 0 and line[start - 1] in _SCHEME_CHARS:
                start -= 1
            if any(ch.isascii() and ch.isalpha() for ch in line[start:at]):
                return True
        at = line.find("://", at + 3)
    return False


def _example(s: CommitSettings) -> str:
    return {"conventional": "feat(api): add orders endpoint",
            "angular": "feat(api): add orders endpoint",
            "gitmoji": ":sparkles: Add orders endpoint",
            "plain": "Add orders endpoint",
            "custom": s.example or ""}[s.style]


def _typed(header: str, s: CommitSettings, out: list[Problem]) -> str | None:
    """conventional and angular headers; returns the subject (None when unparseable)."""
    m = CONVENTIONAL.match(header)
    if not m:
        subject = header.strip().rstrip(".")
        # runs of spaces collapsed first: the pattern's neighbouring `\s*` are cubic on them
        loose = _LOOSE_TYPED.match(" ".join(subject.split()))
        if loose and loose.group("type").lower() in s.types:   # `feat(api) : add orders`
            scope = loose.group("scope")
            fixed = (f"{loose.group('type').lower()}{f'({scope})' if scope else ''}"
                     f"{loose.group('bang') or ''}: {loose.group('subject')}")
        elif subject.split(" ", 1)[0].lower() == "revert" and "revert" in s.types:
            # `Revert fix x` (not git's quoted form): the spec's suggestion is a `revert:` type
            fixed = f"revert: {subject.split(' ', 1)[1].strip() if ' ' in subject else ''}"
        else:
            fixed = f"{_guess_type(subject, s.types)}: {_lower_first(_imperative(subject))}"
        out.append(Problem("COMMIT001", f"header is not `type(scope): subject` ({s.style} style)",
                           f"rewrite the header, e.g. `{fixed}`", header=fixed))
        return None
    typ, scope, bang, subject = m.group("type"), m.group("scope"), m.group("bang"), \
        m.group("subject")
    fixed_parts = [typ.lower(), f"({scope.strip()})" if scope and scope.strip() else "",
                   bang or "", ": ", subject.strip()]
    if subject.strip() and (m.group("space") != " " or subject != subject.strip()) or (
            scope is not None and not scope.strip()):
        fixed = "".join(fixed_parts) if subject.strip() else None
        what = ("empty scope `()`" if scope is not None and not scope.strip()
                else "the colon must be followed by exactly one space")
        out.append(Problem("COMMIT001", f"header is not `type(scope): subject`: {what}",
                           f"rewrite the header as `{fixed}`" if fixed else
                           "rewrite the header as `type(scope): subject`", header=fixed))
    if typ.lower() not in s.types:
        alias = _TYPE_ALIASES.get(typ.lower())
        if alias is None:
            import difflib
            close = difflib.get_close_matches(typ.lower(), s.types, n=1, cutoff=0.6)
            alias = close[0] if close else None
        fix, proposed = "", None
        if alias and alias in s.types:
            proposed = "".join([alias] + fixed_parts[1:])
            fix = f"use `{proposed}`; "
        extra = "guard.commits.extra_types" if s.style == "conventional" else None
        out.append(Problem("COMMIT002", f"type `{typ}` is not one of the {s.style} types "
                                        f"({', '.join(s.types)})",
                           fix + (f"or add it to {extra} in the trusted policy" if extra else
                                  "Angular's type set is fixed"), header=proposed))
    if scope is not None and scope.strip() and s.scopes:
        allowed = {x.lower() for x in s.scopes}
        bad = [p.strip() for p in re.split(r"[,/]", scope) if p.strip().lower() not in allowed]
        if bad:
            import difflib
            close = difflib.get_close_matches(bad[0], s.scopes, n=1, cutoff=0.6)
            proposed = (f"{typ}({close[0]}){bang or ''}: {subject.strip()}" if close
                        and len(bad) == 1 else None)
            fix = f"use `{proposed}`; " if proposed else ""
            if not proposed:
                # no allowed scope is close: any allowed one is a header that passes
                example = f"{typ}({s.scopes[0]}){bang or ''}: {subject.strip()}"
                fix = (f"use one of the allowed scopes ({', '.join(s.scopes)}), e.g. "
                       f"`{example}`; ")
            out.append(Problem("COMMIT003", f"scope `{', '.join(bad)}` is not allowed "
                                            f"(allowed: {', '.join(s.scopes)})",
                               fix + "or ask for the scope to be added to "
                                     "conventions.commit_scopes", header=proposed))
    elif s.scope_required and not (scope and scope.strip()):
        out.append(Problem("COMMIT003", "the header has no scope and guard.commits."
                                        "scope_required is on",
                           f"add one: `{typ}(<scope>){bang or ''}: {subject.strip()}`" +
                           (f" with a scope from: {', '.join(s.scopes)}" if s.scopes else "")))
    if s.style == "angular" and subject.strip()[:1].isupper():
        proposed = f"{''.join(fixed_parts[:4])}{_lower_first(subject.strip())}"
        out.append(Problem("COMMIT016", "Angular subjects start in lower case",
                           f"use `{proposed}`", header=proposed))
    return subject


def _gitmoji(header: str, s: CommitSettings, out: list[Problem]) -> str | None:
    code, rest = gitmoji.split_gitmoji(header)
    if code is None:
        m = CONVENTIONAL.match(header)
        word = m.group("subject") if m else header
        emoji = _GITMOJI_BY_TYPE.get(m.group("type").lower()) if m else None
        emoji = emoji or _GITMOJI_BY_TYPE.get(_guess_type(word, ()), ":sparkles:")
        if header.startswith(":") and header.find(":", 1) > 1:
            bad = header[:header.find(":", 1) + 1]
            proposed = f"{emoji}{header[len(bad):]}"
            out.append(Problem("COMMIT002", f"{bad} is not a gitmoji",
                               f"pick one from gitmoji.dev, e.g. `{proposed}`", header=proposed))
            return None
        other = gitmoji.leading_emoji(header)
        if other:
            # an emoji gitmoji.dev does not list (a whale for Docker): replace it, do not
            # put a second emoji in front of it
            proposed = f"{emoji} {header[len(other):].strip()}"
            out.append(Problem("COMMIT002", f"{other} is not a gitmoji",
                               f"pick one from gitmoji.dev, e.g. `{proposed}`", header=proposed))
            return None
        proposed = f"{emoji} {word.strip()}"
        out.append(Problem("COMMIT001", "header does not start with a gitmoji (gitmoji style)",
                           f"rewrite the header, e.g. `{proposed}`", header=proposed))
        return None
    if rest and not rest.startswith(" "):
        proposed = f"{code} {rest.strip()}"
        out.append(Problem("COMMIT001", "the gitmoji must be followed by a space",
                           f"rewrite the header as `{proposed}`", header=proposed))
    subject = rest.strip()
    scoped = re.match(r"^\((?P<scope>[^()]*)\):?\s*(?P<subject>.*)$", subject)
    if scoped:
        subject = scoped.group("subject")
        if s.scopes and scoped.group("scope").strip().lower() not in {x.lower() for x in s.scopes}:
            out.append(Problem("COMMIT003", f"scope `{scoped.group('scope')}` is not allowed "
                                            f"(allowed: {', '.join(s.scopes)})",
                               "use an allowed scope, or ask for it to be added to "
                               "conventions.commit_scopes"))
    elif s.scope_required:
        out.append(Problem("COMMIT003", "the header has no scope and guard.commits."
                                        "scope_required is on",
                           f"add one: `{code} (<scope>): {subject}`"))
    return subject


def _plain(header: str, s: CommitSettings, out: list[Problem]) -> str:
    subject = header.strip()
    first = subject.split(" ", 1)[0]
    if first and first[0].isalpha() and not first[0].isupper():
        proposed = f"{subject[0].upper()}{subject[1:].rstrip('.')}"
        out.append(Problem("COMMIT016", "the subject must start with a capital letter "
                                        "(plain style)",
                           f"use `{proposed}`", header=proposed))
    base = _base_verb(first.strip(":,"))
    if first and base != first.lower().strip(":,"):
        fixed = _imperative(subject).rstrip(".")
        proposed = f"{fixed[0].upper()}{fixed[1:]}"
        out.append(Problem("COMMIT017", f"`{first}` is not imperative: say what the commit does "
                                        "(\"If applied, this commit will ...\")",
                           f"use `{proposed}`", header=proposed))
    return subject


def _custom(header: str, s: CommitSettings, out: list[Problem]) -> str:
    if not re.search(s.pattern or "", header):
        out.append(Problem("COMMIT001", f"header does not match the project's pattern "
                                        f"`{s.pattern}` (custom style)",
                           f"rewrite the header like the example: `{s.example}`"))
    return header


def lint_message(text: str, s: CommitSettings, *, hook: bool = False,
                 is_merge: bool = False, role: str | None = None) -> list[Problem]:
    """Every problem of one (cleaned) commit message under the settings. ``role``: the
    role the branch is held to, the value a missing Agent-Role trailer should have."""
    msg = commitmsg.parse(text)
    header = msg.header
    out: list[Problem] = []
    if not header.strip():
        return [Problem("COMMIT005", "the commit message is empty",
                        f"write a header, e.g. `{_example(s)}`")]
    if is_merge:
        # merges are judged by COMMIT009 in run(), whatever header git or the forge wrote.
        # commitlint also skips a merge-like header on a one-parent commit; guard does not:
        # rebasing drops merges, so on a branch such a header only dodges the style.
        return out
    if AUTOSQUASH.match(header) and hook:
        return out                       # fine locally; squashed before hand-off
    if s.preset == "config-conventional" and _VERSION_HEADER.match(header):
        return out                       # a release tool's header, as commitlint ignores it
    revert = REVERT.match(header)
    inner, nested = header, revert
    while nested:                        # `Revert "Revert "x""`: the header x is judged
        inner = nested.group("inner")
        nested = REVERT.match(inner)
    problem = hygiene(header, None, hook=hook) if not revert else None
    if problem:
        return [problem]
    style_out: list[Problem] = []
    subject = _STYLES[s.style](inner, s, style_out)
    if subject is not None and not revert and subject != header:
        problem = hygiene(header, subject, hook=hook)
        if problem:
            return [problem]
    if revert:
        # the reverted header is checked under the style too, but an old header that does not
        # follow today's style is not this commit's fault: only its shape problems are kept
        # (its type too: `Revert "types: worker types"` reverts a commit whose type the
        # project no longer uses, and commitlint skips reverts altogether)
        style_out = [p for p in style_out
                     if p.rule not in ("COMMIT002", "COMMIT016", "COMMIT017")]
    out += style_out
    if subject is not None and s.style != "custom" and not subject.strip():
        out.append(Problem("COMMIT005", "the header has no subject after the type",
                           f"say what the commit does, e.g. `{_example(s)}`"))
    # a revert's `Revert "..." (#12)` wrapper is written by git and the forge, not the author:
    # the limit holds for the reverted header it quotes
    if len(inner) > s.header_max:
        what = (f"header is {len(header)} characters (limit {s.header_max})" if not revert
                else f"the reverted header is {len(inner)} characters (limit {s.header_max})")
        out.append(Problem("COMMIT004", what,
                           f"shorten the header to {s.header_max} characters or fewer and "
                           "move the detail into the body"))
    period = _period(header, s)
    if period:
        out.append(period)
    if len(msg.lines) > 1 and msg.lines[1].strip():
        out.append(Problem("COMMIT006", "no blank line between the header and the body",
                           "insert an empty line after the header", 2))
    for number, line in enumerate(msg.lines[1:], 2):
        if len(line) > s.body_max and not _has_url(line):
            out.append(Problem("COMMIT007", f"body line {number} is {len(line)} characters "
                                            f"(limit {s.body_max})",
                               f"wrap the body so no line is over {s.body_max} characters",
                               number))
    is_revert_type = bool(revert) or (s.style in ("conventional", "angular") and
                                      _REVERT_TYPE.match(header))
    if is_revert_type:
        refs = " ".join(msg.trailer_values("Refs"))
        if not _REVERT_REF.search(msg.text) and not _SHA.search(refs):
            out.append(Problem("COMMIT014", "revert without \"This reverts commit <sha>.\" "
                                            "(or a Refs: <sha> footer)",
                               "add \"This reverts commit <sha>.\" to the body (git revert "
                               "writes it)"))
    if s.style in ("conventional", "angular"):
        for number, token, description in commitmsg.breaking_footers(msg):
            if token not in ("BREAKING CHANGE", "BREAKING-CHANGE") or not description:
                out.append(Problem("COMMIT015", f"malformed footer `{token}:` on line {number}"
                                   + ("" if description else " (no description)"),
                                   "write `BREAKING CHANGE: <what breaks and how to "
                                   "migrate>`", number))
    present = {t.key.lower() for t in msg.trailers}
    for key in s.trailers:
        if key.lower() not in present:
            value = role if role and key.lower() == "agent-role" else "..."
            sign = " or -s" if key.lower() == "signed-off-by" else ""
            how = (f"e.g. git commit --trailer '{key}: {value}'{sign}" if hook else
                   f"git commit --amend --trailer '{key}: {value}'{sign} on the newest "
                   "commit; `reword` an older one in git rebase -i <base>")
            out.append(Problem("COMMIT010", f"no `{key}:` trailer",
                               f"add a `{key}: {value}` line in the last paragraph of the "
                               f"message ({how})"))
    return out if revert else _one_header(header, s, out)


_STYLES = {"conventional": _typed, "angular": _typed, "gitmoji": _gitmoji, "plain": _plain,
           "custom": _custom}


def _period(header: str, s: CommitSettings) -> Problem | None:
    if header.rstrip().endswith(".") and not header.rstrip().endswith("..") and \
            s.style != "custom":
        proposed = header.rstrip()[:-1]
        return Problem("COMMIT013", "the header ends with a period", f"use `{proposed}`",
                       header=proposed)
    return None


def _header_problems(header: str, s: CommitSettings) -> list[Problem]:
    """The problems of a header on its own: the style's and the final period."""
    out: list[Problem] = []
    _STYLES[s.style](header, s, out)
    period = _period(header, s)
    return out + [period] if period else out


def _one_header(header: str, s: CommitSettings, problems: list[Problem]) -> list[Problem]:
    """Each hint that proposes a whole header proposes the same one, which fixes them all.
    Each proposal fixes its own problem only (`Added the post endpoint.`: COMMIT001 says
    `feat: add the post endpoint`, COMMIT013 `Added the post endpoint`); the proposals are
    applied one after the other until the header has no problem a proposal fixes. (When
    no such header is found the hints stay as they are: 80,000 random headers in four
    styles never got there.)"""
    proposing = [p for p in problems if p.header]
    if len(proposing) < 2 and not (proposing and any(p.rule == "COMMIT001" for p in problems)):
        return problems
    candidate, seen, current = header, {header}, problems
    whole = None
    for _ in range(8):
        proposals = [p.header for p in current if p.header]
        if not proposals:
            if candidate != header and not any(p.rule == "COMMIT001" for p in current):
                whole = candidate
            break
        candidate = proposals[0]
        if candidate in seen:
            break
        seen.add(candidate)
        current = _header_problems(candidate, s)
    if whole is None:
        return problems
    return [p._replace(hint=p.hint.replace(f"`{p.header}`", f"`{whole}`"), header=whole)
            if p.header else p for p in problems]


# -- the check -------------------------------------------------------------------------------
def _label(sha: str, header: str) -> str:
    header = header if len(header) <= 60 else header[:57] + "..."
    return f'commit {sha[:8]} "{header}"'


def _finding(problem: Problem, sha: str, header: str, severity: str | None = None) -> Finding:
    from guard.registry import RULES_BY_ID
    sev = severity or RULES_BY_ID[problem.rule].severity
    return Finding(problem.rule, CHECK, sev, f"{_label(sha, header)}: {problem.what}",
                   problem.hint, None, None,
                   (("commit", sha), ("header", header), ("what", problem.what)))


def check_shallow(ctx, commits) -> None:
    if all(c.parents for c in commits):
        return      # a commit a shallow fetch cut off has no parents in git's log
    shallow = ctx.git.shallow_commits()
    if not shallow:
        return
    cut = [c for c in commits if c.sha in shallow]
    if cut:
        raise GuardError(
            f"shallow clone: the history behind commit {cut[0].short} is not fetched, so some "
            f"commits of {ctx.merge_base[:8]}..{ctx.head[:8]} cannot be checked",
            hint="fetch the full history (`git fetch --unshallow`, `fetch-depth: 0` in "
                 "actions/checkout, GIT_DEPTH: 0 in GitLab CI)")


def _ci_checkout(ctx) -> str | None:
    """The CI variable saying the working tree is a CI job's fresh checkout (GitHub Actions,
    GitLab CI; context.build sets it, for ranges only), whose untracked files are the job's
    own (installed dependencies, reports), not the agent's uncommitted work. Never set for
    the agent's Stop hook (the working-tree mode), where the working tree is the agent's."""
    return ctx.ci_checkout if ctx.mode == "range" else None


def _stdout_file() -> tuple[int, int] | None:
    """(device, inode) of the regular file guard's stdout writes to, if it does."""
    import stat
    import sys
    try:
        st = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _same_file(path: str, ident: tuple[int, int]) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == ident


def uncommitted(ctx) -> Iterator[Finding]:
    """Modified, staged and untracked (not ignored) files; only when head is the checked-out
    commit (with --head elsewhere the working tree is not the work being checked)."""
    exempt = set()
    cfg = ctx.policy.config
    # guard's own files: the task scope and JUnit it reads, the reports it writes (--output,
    # relative to the working directory) and the file its stdout is redirected to
    # (`guard check --format junit > guard-junit.xml`: the shell creates it first)
    written = [os.path.join(ctx.root, p) for p in (ctx.options.scope, cfg.tests.junit) if p]
    for full in written + list(getattr(ctx.options, "outputs", ())):
        exempt.add(os.path.relpath(os.path.abspath(full), ctx.root).replace(os.sep, "/"))
    stdout = _stdout_file()
    kinds: dict[str, list[str]] = {"modified": [], "staged": [], "untracked": []}
    for code, path in ctx.git.status_porcelain():
        if path in exempt:
            continue
        if code == "??":
            if stdout and _same_file(os.path.join(ctx.root, path), stdout):
                continue
            kinds["untracked"].append(path)
            continue
        if code[0] not in " ?":
            kinds["staged"].append(path)
        if code[1] not in " ?":
            kinds["modified"].append(path)
    total = sorted({p for paths in kinds.values() for p in paths})
    if not total:
        return
    parts = [f"{len(v)} {k}" for k, v in kinds.items() if v]
    shown = []
    for kind, paths in kinds.items():
        shown += [f"{p} ({kind})" for p in paths]
    listing = ", ".join(shown[:10]) + (f", and {len(shown) - 10} more" if len(shown) > 10
                                       else "")
    yield Finding("COMMIT012", CHECK, "error",
                  f"uncommitted work in the working tree ({', '.join(parts)}): {listing}",
                  "commit all work before reporting back (git add <files> && git commit), or "
                  "add files that are not work to .gitignore",
                  None, None, (("paths", tuple(total)),))


def _pattern_set(patterns, kind: str):
    from guard.patterns import PatternSet, Source
    return PatternSet([Source(p, "guard.commits.atomicity", None, kind) for p in patterns])


def atomicity(ctx, s: CommitSettings, commits) -> Iterator[Finding]:
    a = s.atomicity
    if a.severity == "off" or not commits:
        return
    from guard.patterns import PatternSet
    policy = ctx.policy
    owned = {}
    for name, role in policy.roles.items():
        if name == policy.role.name:
            owned[name] = (policy.owned, PatternSet(role.forbidden))
        else:
            owned[name] = (PatternSet(role.owned), PatternSet(role.forbidden))
    migrations = _pattern_set(a.migrations, "migrations")
    related = _pattern_set(a.migration_related, "related")
    paths_by_commit = ctx.git.paths_per_commit(ctx.range_spec)
    by_sha = {c.sha: c for c in commits}
    owners: dict[str, set[str]] = {}        # path -> roles owning it (paths repeat a lot)
    mig_memo: dict[str, bool] = {}
    rel_memo: dict[str, bool] = {}
    for sha, paths in paths_by_commit.items():
        commit = by_sha.get(sha)
        if commit is None or len(commit.parents) > 1:
            continue
        cover: list[tuple[str, set[str]]] = []
        for path in paths:
            who = owners.get(path)
            if who is None:
                who = owners[path] = {name for name, (own, deny) in owned.items()
                                      if own.decide(path) and not deny.decide(path)}
            if who:
                cover.append((path, who))
        roles = _greedy_cover(cover)
        if len(roles) > a.max_roles:
            sample = "; ".join(
                f"{role}: {', '.join([p for p, who in cover if role in who][:2])}"
                for role in roles)
            yield Finding("COMMIT011", CHECK, a.severity,
                          f"{_label(sha, commit.header)}: touches the scope of "
                          f"{len(roles)} roles ({sample})",
                          "split it into one commit per concern (git rebase -i <base>, `edit`, "
                          "then git reset HEAD^ and commit the parts); threshold: "
                          "guard.commits.atomicity.max_roles",
                          None, None, (("commit", sha), ("header", commit.header),
                                       ("what", f"touches the scope of {len(roles)} roles "
                                                f"({sample})"),
                                       ("roles", tuple(roles)),
                                       ("paths", tuple(p for p, _who in cover))))
            continue
        mig = [p for p in paths if _decided(migrations, p, mig_memo)] if migrations else []
        if mig:
            unrelated = [p for p in paths if not _decided(migrations, p, mig_memo)
                         and not _decided(related, p, rel_memo)]
            if len(unrelated) > a.max_unrelated:
                yield Finding("COMMIT011", CHECK, a.severity,
                              f"{_label(sha, commit.header)}: mixes migration {mig[0]} with "
                              f"unrelated changes ({', '.join(unrelated[:3])}"
                              f"{', ...' if len(unrelated) > 3 else ''})",
                              "commit the migration with its model and tests on its own, so it "
                              "can be reviewed and rolled back alone; related paths: "
                              "guard.commits.atomicity.migration_related",
                              None, None, (("commit", sha), ("header", commit.header),
                                           ("what", f"mixes migration {mig[0]} with unrelated "
                                                    "changes")))


def _decided(patterns, path: str, memo: dict[str, bool]) -> bool:
    if path not in memo:
        memo[path] = patterns.decide(path) is not None
    return memo[path]


def _greedy_cover(cover: list[tuple[str, set[str]]]) -> list[str]:
    if not cover:
        return []
    common = set.intersection(*(who for _p, who in cover))
    if common:
        return [min(common)]
    left = [who for _p, who in cover]
    chosen: list[str] = []
    while left:
        counts: dict[str, int] = {}
        for who in left:
            for name in who:
                counts[name] = counts.get(name, 0) + 1
        best = max(sorted(counts), key=lambda n: counts[n])
        chosen.append(best)
        left = [who for who in left if best not in who]
    return chosen


def merges(ctx, s: CommitSettings, commits) -> Iterator[Finding]:
    if s.merge_commits == "off":
        return
    merged = [c for c in commits if len(c.parents) > 1]
    # every parent is reachable from head, so it is an ancestor of the base unless it is one
    # of head's commits the base lacks: one `git rev-list` for all merges, not one per merge
    branch_only = ctx.git.only_in(ctx.head, ctx.base) if merged else set()
    for c in merged:
        from_base = any(p not in branch_only for p in c.parents[1:])
        what = ("merges the base into the branch" if from_base
                else "is a merge commit")
        yield Finding("COMMIT009", CHECK, s.merge_commits, f"{_label(c.sha, c.header)}: {what}",
                      f"rebase the branch instead: git rebase {ctx.base_ref or '<base>'} (then "
                      "push with --force-with-lease)", None, None,
                      (("commit", c.sha), ("header", c.header), ("what", what)))


def run(ctx) -> Iterator[Finding]:
    s: CommitSettings = ctx.settings(CHECK) or CommitSettings()
    if ctx.mode == "staged":
        ctx.publish(CHECK, {"style": s.style, "mode": "staged",
                            "note": "staged change: commit messages are checked by "
                                    "`guard hook commit-msg`"})
        return
    if s.atomicity.severity != "off" and ctx.range_spec:
        ctx.git.prefetch_paths(ctx.range_spec)      # git works while the messages are linted
    commits = ctx.commits()
    check_shallow(ctx, commits)
    found: list[Finding] = []
    for c in commits:
        for problem in lint_message(c.message, s, is_merge=len(c.parents) > 1,
                                    role=ctx.policy.role.name):
            found.append(_finding(problem, c.sha, c.header))
    found += merges(ctx, s, commits)
    found += atomicity(ctx, s, commits)
    worktree = ctx.git.try_resolve("HEAD") == ctx.head
    ci = _ci_checkout(ctx)
    if worktree and not ci:
        found += uncommitted(ctx)
    ctx.publish(CHECK, {"style": s.style, "style_from": s.style_where,
                        "range": ctx.range_spec, "count": len(commits),
                        "merges": sum(1 for c in commits if len(c.parents) > 1),
                        "working_tree": f"not checked: a CI job's checkout ({ci})" if ci
                        else "checked" if worktree else
                        "not checked: --head is not the checked-out commit"})
    yield from found


# -- git's commit-msg stage ------------------------------------------------------------------
def _git_config(git, key: str) -> str | None:
    proc = git.run(["config", "--get", key], check=False)
    value = proc.stdout.decode("utf-8", "replace").strip()
    return value if proc.returncode == 0 and value else None


def _comment_prefix(git, text: str) -> str:
    value = _git_config(git, "core.commentString") or _git_config(git, "core.commentChar") or "#"
    if value != "auto":
        return value
    # `auto`: git picked the first of these not starting a line of the message; the template it
    # wrote then starts its help lines (and the scissors line) with that character
    for ch in "#;@!$%^&|:":
        if any(line.startswith(f"{ch} Please enter") or line == f"{ch} {commitmsg.SCISSORS}"
               for line in text.split("\n")):
            return ch
    return "#"


def clean_for_hook(git, text: str) -> str:
    """The message as git will store it, following commit.cleanup (default: strip)."""
    mode = (_git_config(git, "commit.cleanup") or "strip").lower()
    comment = _comment_prefix(git, text)
    if mode == "verbatim":
        return text.rstrip("\n")
    if mode == "whitespace":
        return commitmsg.stripspace(text)
    if mode == "scissors":
        mark = f"{comment} {commitmsg.SCISSORS}"
        lines = text.split("\n")
        if mark in lines:
            lines = lines[:lines.index(mark)]
        return commitmsg.stripspace("\n".join(lines))
    return commitmsg.strip_comments(text, comment)


def commit_msg_hook(file: str, *, repo: str = ".") -> tuple[int, list[str]]:
    """(exit code, lines to print) for `guard hook commit-msg FILE`. Policy: HEAD's
    company.config.yaml (the committed, trusted one); defaults before the first commit."""
    from guard import git as gitmod
    from guard import policy as pol
    from guard.registry import RULES_BY_ID

    git = gitmod.open_repo(repo)
    try:
        with open(file, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise GuardError(f"cannot read the commit message: {exc.strerror}", path=file,
                         hint="git passes the message file as the hook's only argument") from None
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    if git.has_commits():
        head = git.resolve("HEAD")
        cfg = pol.load_config(pol.RevReader(git, head, f"HEAD {head[:8]}"))
        where = f"{cfg.file} at HEAD {head[:8]}"
    else:
        from guard import config as config_mod
        cfg = config_mod.load(None)
        where = "defaults (no commit yet)"
    s: CommitSettings = cfg.settings.get(CHECK) or CommitSettings()
    merging = git.merge_head() is not None
    message = clean_for_hook(git, text)
    problems = lint_message(message, s, hook=True, is_merge=merging)
    levels = {c.rule: c.level for c in cfg.severity}
    lines, failed = [], False
    header = message.split("\n", 1)[0]
    for p in problems:
        level = levels.get(p.rule, RULES_BY_ID[p.rule].severity)
        if level == "off":
            continue
        failed |= level == "error"
        where_line = f" (line {p.line})" if p.line else ""
        lines.append(f"  {level} {p.rule}{where_line}: {p.what}\n    → {p.hint}")
    if lines:
        lines.insert(0, f"guard commit-msg: {header!r} ({s.style} style, policy from {where})")
        if failed:
            lines.append("guard commit-msg: commit rejected; your message is kept in "
                         f"{file} (git commit -e -F {file} to edit it)")
    return (1 if failed else 0), lines
