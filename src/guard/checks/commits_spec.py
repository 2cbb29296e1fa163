"""commits: the rules and the `guard.commits` configuration (pure data, standard library only).

The style comes from the agent framework's own key, `conventions.commit_style` (default
`conventional`); allowed scopes from `conventions.commit_scopes` and/or `guard.commits.scopes`.
"""

import re
from typing import Any, NamedTuple

from guard.errors import GuardError
from guard.patterns import validate_pattern
from guard.rule import Rule
from guard.schema import check_keys, did_you_mean, expect, expect_choice, str_list
from guard.yamlfile import line_of

STYLES = ("conventional", "angular", "gitmoji", "plain", "custom")
# @commitlint/config-conventional's type-enum
CONVENTIONAL_TYPES = ("build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor",
                      "revert", "style", "test")
# Angular's CONTRIBUTING.md "Type" list, plus `revert:` from its "Revert commits" section
ANGULAR_TYPES = ("build", "ci", "docs", "feat", "fix", "perf", "refactor", "test", "revert")

# `guard.commits.preset`: whose defaults the limits start from. `guard` is guard's own
# (header 72: git's and GitHub's cut-off for a one-line summary); `config-conventional` is
# @commitlint/config-conventional's (header-max-length 100, body- and footer-max-line-length
# 100, its type-enum, and its default ignore of a release header that is only a version).
PRESETS = ("guard", "config-conventional")
PRESET_LIMITS = {"guard": {"header_max": 72, "body_max": 100},
                 "config-conventional": {"header_max": 100, "body_max": 100}}
KEYS = ("preset", "extra_types", "scopes", "scope_required", "header_max", "body_max", "merge_commits",
        "trailers", "pattern", "example", "atomicity")
ATOMICITY_KEYS = ("severity", "max_roles", "migrations", "migration_related", "max_unrelated")
# a nested `migrations` folder counts through its numbered files (Django's app/migrations/
# 0001_initial.py, a service's db/migrations/20240101_x.sql) or an Alembic versions/ folder,
# so a source package that happens to be named `migrations` is not a migration
DEFAULT_MIGRATIONS = ("/migrations/", "**/migrations/[0-9]*", "**/migrations/versions/",
                      "db/migrate/", "alembic/versions/", "prisma/migrations/", "drizzle/")
DEFAULT_MIGRATION_RELATED = ("src/models/", "src/entities/", "src/schemas/", "prisma/schema.prisma",
                             "db/schema.rb", "db/structure.sql", "seeds/", "tests/",
                             "alembic.ini", "drizzle.config.*")


class Atomicity(NamedTuple):
    severity: str = "warning"            # warning | error | off
    max_roles: int = 1
    migrations: tuple[str, ...] = DEFAULT_MIGRATIONS
    migration_related: tuple[str, ...] = DEFAULT_MIGRATION_RELATED
    max_unrelated: int = 0


class CommitSettings(NamedTuple):
    style: str = "conventional"
    style_where: str = "default"
    preset: str = "guard"
    types: tuple[str, ...] = CONVENTIONAL_TYPES
    scopes: tuple[str, ...] = ()
    scope_required: bool = False
    header_max: int = 72
    body_max: int = 100
    merge_commits: str = "warning"       # warning | error | off
    trailers: tuple[str, ...] = ()
    pattern: str | None = None
    example: str | None = None
    atomicity: Atomicity = Atomicity()


def _r(num: int, name: str, severity: str, summary: str, why: str, wrong: str,
       right: str) -> Rule:
    return Rule(f"COMMIT{num:03d}", name, "commits", severity, summary, why, wrong, right)


RULES: tuple[Rule, ...] = (
    _r(1, "header-format", "error",
       "A commit header does not have the shape the project's commit style asks for.",
       "conventions.commit_style is part of the agent's contract (\"Make logical, atomic commits "
       "following the project's conventions.commit_style\"); changelogs, release tooling and "
       "reviewers read the header. Headers git, GitHub and GitLab write for merges (`Merge pull "
       "request #12 from o/b`, `Merge branch 'x' into 'main'`, `Merge remote-tracking branch "
       "...`) are not judged, as commitlint's default ignores; for a revert (`Revert \"x "
       "(#1)\" (#2)`, `Reapply \"x\"`, GitLab's ` (!12)`) the quoted header is judged. The "
       "Conventional Commits spec leaves reverts to tools and suggests a `revert:` type with a "
       "`Refs: <sha>` footer, which guard also accepts.",
       "Added orders endpoint   (style: conventional)",
       "feat(api): add orders endpoint"),
    _r(2, "unknown-type", "error",
       "The header's type (or gitmoji) is not in the style's set or the configured extra types.",
       "A type outside the agreed set breaks changelog grouping and release automation.",
       "feature(api): add orders endpoint",
       "feat(api): add orders endpoint (or add the type to guard.commits.extra_types)"),
    _r(3, "scope-not-allowed", "error",
       "The header's scope is not among the allowed scopes, or a required scope is missing.",
       "Allowed scopes (conventions.commit_scopes, guard.commits.scopes) name the project's "
       "areas; an invented scope hides which area a commit changes.",
       "feat(orderz): add orders endpoint",
       "feat(api): add orders endpoint"),
    _r(4, "header-too-long", "error",
       "The header is longer than guard.commits.header_max (default 72) characters; for a "
       "revert, the reverted header it quotes (git and the forge write the wrapper).",
       "Long headers are cut off by git tools, web views and e-mail subjects.",
       "feat(api): add the orders endpoint with cursor paging and filters by status and date",
       "feat(api): add orders endpoint — details go in the body"),
    _r(5, "empty-subject", "error",
       "The header has no subject: nothing says what the commit does.",
       "A type with no description tells a reader nothing.",
       "fix:", "fix(api): reject negative order totals"),
    _r(6, "no-blank-line-after-header", "error",
       "The line after the header is not empty.",
       "git and every tool built on it take the first paragraph as the subject; without the "
       "blank line the body is glued to the header.",
       "feat: add orders\\nOrders are paged.", "feat: add orders\\n\\nOrders are paged."),
    _r(7, "body-line-too-long", "warning",
       "A body line is longer than guard.commits.body_max (default 100); lines with a URL are "
       "exempt.",
       "Bodies are read in terminals and e-mail; wrap them so they read without scrolling.",
       "one 160-character line of explanation", "the same text wrapped within guard.commits.body_max columns"),
    _r(8, "unfinished-commit", "error",
       "A WIP, fixup!, squash!, amend! or tmp-style commit is on the branch at hand-off.",
       "These commits are fine while working (the commit-msg hook allows fixup!/squash!/amend!),"
       " but a branch handed off must be squashed into logical, atomic commits.",
       "fixup! feat(api): add orders endpoint", "git rebase -i --autosquash <base>, then push"),
    _r(9, "merge-commit", "warning",
       "A merge commit is on the branch (a merge from the base, or of another branch).",
       "The range should be rebased on the base before hand-off, so every commit is a change "
       "of the task; merges from the base also mix the base's changes into the review. "
       "guard.commits.merge_commits sets the severity (error, warning, off).",
       "Merge branch 'main' into agent/backend/orders", "git rebase main"),
    _r(10, "missing-trailer", "error",
       "A commit lacks a trailer the policy requires (guard.commits.trailers).",
       "Trailers such as Signed-off-by or Agent-Role are how the project traces who (or which "
       "agent role) made a change.",
       "feat(api): add orders endpoint   (no Agent-Role trailer)",
       "feat(api): add orders endpoint\\n\\nAgent-Role: backend"),
    _r(11, "non-atomic-commit", "warning",
       "A commit touches the scope of more than one role, or mixes a migration with unrelated "
       "areas.",
       "\"One concern per commit — don't bundle unrelated changes.\" A commit spanning roles or "
       "a migration plus unrelated code cannot be reviewed, reverted or rolled back on its "
       "own. Thresholds: guard.commits.atomicity.",
       "one commit: migrations/0002_add_status.sql + src/api/orders.py + src/components/X.tsx",
       "one commit for the migration (with its model), one per other concern"),
    _r(12, "uncommitted-work", "error",
       "The working tree has modified, staged or untracked (not ignored) files at hand-off.",
       "\"Commit all work before reporting back\": work that is not committed is not in the "
       "range guard checks, and is lost or unreviewed. Not raised with --staged, nor in a "
       "CI job (GITHUB_ACTIONS or GITLAB_CI set), whose checkout holds the job's files, nor "
       "for the reports guard itself writes (--output, its redirected stdout).",
       "src/api/orders.py modified but not committed", "commit it (or add the file to "
                                                       ".gitignore if it is not work)"),
    _r(13, "subject-trailing-period", "error",
       "The header ends with a period.",
       "A header is a title; every style guard knows leaves the full stop out.",
       "feat(api): add orders endpoint.", "feat(api): add orders endpoint"),
    _r(14, "revert-without-reference", "warning",
       "A revert commit does not say which commit it reverts.",
       "Reverts are checked, not skipped: git's own form carries \"This reverts commit <sha>.\"; "
       "a `revert:` commit carries it or a `Refs: <sha>` footer.",
       "Revert \"feat(api): add orders\"   (body removed)",
       "Revert \"feat(api): add orders\"\\n\\nThis reverts commit 1a2b3c4d."),
    _r(15, "breaking-change-footer", "error",
       "A BREAKING CHANGE footer is empty or not written in upper case.",
       "Conventional Commits: the BREAKING CHANGE token MUST be upper case and followed by a "
       "description; release tooling depends on it.",
       "breaking change: orders are paged", "BREAKING CHANGE: orders are paged"),
    _r(16, "subject-case", "error",
       "The subject starts with the wrong case for the style (plain: capitalised; angular: "
       "lower case).",
       "The style fixes how subjects start so logs read consistently.",
       "add orders endpoint   (style: plain)", "Add orders endpoint"),
    _r(17, "subject-not-imperative", "error",
       "The plain style's subject does not start with an imperative verb.",
       "git's own convention: the subject completes \"If applied, this commit will ...\".",
       "Added orders endpoint", "Add orders endpoint"),
)


def _int(section: dict, key: str, default: int, *, file: str, minimum: int, what: str) -> int:
    if key not in section:
        return default
    value = expect(section[key], int, file=file, line=line_of(section, key), what=what)
    if value < minimum:
        raise GuardError(f"{what} is {value}; it must be at least {minimum}", path=file,
                         line=line_of(section, key))
    return value


def _names(value, *, file: str, line: int | None, what: str, lower: bool) -> tuple[str, ...]:
    out = []
    for item, iline in str_list(value, file=file, line=line, what=what):
        item = item.strip()
        if not item or any(ch in item for ch in "():! \t"):
            raise GuardError(f"{what} has {item!r}, which cannot appear in a commit header",
                             path=file, line=iline,
                             hint="use plain words such as api, db, orders")
        out.append(item.lower() if lower else item)
    return tuple(out)


def _trailer_keys(value, *, file: str, line: int | None) -> tuple[str, ...]:
    out = []
    for item, iline in str_list(value, file=file, line=line, what="guard.commits.trailers"):
        key = item.strip().rstrip(":")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", key):
            raise GuardError(f"guard.commits.trailers has {item!r}, which is not a trailer key",
                             path=file, line=iline,
                             hint="trailer keys are letters, digits and '-', e.g. Signed-off-by")
        out.append(key)
    return tuple(out)


def parse_config(value: Any, *, file: str, line: int | None, data) -> CommitSettings:
    conventions = data.get("conventions") if isinstance(data, dict) else None
    conventions = conventions if isinstance(conventions, dict) else {}
    kw: dict[str, Any] = {}
    style = "conventional"
    if conventions.get("commit_style") is not None:
        sline = line_of(conventions, "commit_style")
        raw = expect(conventions["commit_style"], str, file=file, line=sline,
                     what="conventions.commit_style")
        style = raw.strip().lower()
        if style not in STYLES:
            raise GuardError(
                f"conventions.commit_style is {raw!r}, which guard does not know",
                path=file, line=sline,
                hint=(did_you_mean(style, STYLES) or "") + f" styles: {', '.join(STYLES)}")
        kw["style_where"] = f"conventions.commit_style at {file}:{sline}"
    kw["style"] = style
    scopes: tuple[str, ...] = ()
    if conventions.get("commit_scopes") is not None:
        scopes = _names(conventions["commit_scopes"], file=file,
                        line=line_of(conventions, "commit_scopes"),
                        what="conventions.commit_scopes", lower=False)

    section = value if value is not None else {}
    expect(section, dict, file=file, line=line, what="guard.commits")
    check_keys(section, KEYS, file=file, where="guard.commits")

    def at(key: str) -> int | None:
        return line_of(section, key)

    types = {"conventional": CONVENTIONAL_TYPES, "angular": ANGULAR_TYPES}.get(style, ())
    if "extra_types" in section:
        if style != "conventional":
            raise GuardError(f"guard.commits.extra_types applies to the conventional style, not "
                             f"{style}", path=file, line=at("extra_types"),
                             hint="angular's type set is fixed; gitmoji, plain and custom have "
                                  "no types — remove extra_types or use commit_style: "
                                  "conventional")
        types = types + _names(section["extra_types"], file=file, line=at("extra_types"),
                               what="guard.commits.extra_types", lower=True)
    kw["types"] = tuple(dict.fromkeys(types))
    if "scopes" in section:
        scopes = scopes + _names(section["scopes"], file=file, line=at("scopes"),
                                 what="guard.commits.scopes", lower=False)
    kw["scopes"] = tuple(dict.fromkeys(scopes))
    if "scope_required" in section:
        kw["scope_required"] = expect(section["scope_required"], bool, file=file,
                                      line=at("scope_required"),
                                      what="guard.commits.scope_required")
    preset = "guard"
    if "preset" in section:
        preset = expect_choice(section["preset"], PRESETS, file=file, line=at("preset"),
                               what="guard.commits.preset")
    kw["preset"] = preset
    limits = PRESET_LIMITS[preset]
    kw["header_max"] = _int(section, "header_max", limits["header_max"], file=file,
                            minimum=20, what="guard.commits.header_max")
    kw["body_max"] = _int(section, "body_max", limits["body_max"], file=file, minimum=20,
                          what="guard.commits.body_max")
    if "merge_commits" in section:
        if section["merge_commits"] is False:       # YAML reads a bare `off` as false
            section["merge_commits"] = "off"
        kw["merge_commits"] = expect_choice(section["merge_commits"], ("error", "warning", "off"),
                                            file=file, line=at("merge_commits"),
                                            what="guard.commits.merge_commits")
    if "trailers" in section:
        kw["trailers"] = _trailer_keys(section["trailers"], file=file, line=at("trailers"))

    pattern, example = section.get("pattern"), section.get("example")
    if style == "custom":
        if pattern is None:
            raise GuardError("conventions.commit_style is custom, but guard.commits.pattern is "
                             "not set", path=file, line=line_of(conventions, "commit_style"),
                             hint="add guard.commits.pattern (a regular expression for the "
                                  "header) and guard.commits.example (a header that matches)")
        expect(pattern, str, file=file, line=at("pattern"), what="guard.commits.pattern")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise GuardError(f"guard.commits.pattern is not a valid regular expression: {exc}",
                             path=file, line=at("pattern"),
                             hint="fix the expression (Python `re` syntax), e.g. "
                                  r"'^[A-Z]+-\d+: .+$'") from None
        if example is None:
            raise GuardError("guard.commits.pattern has no example", path=file,
                             line=at("pattern"),
                             hint="add guard.commits.example: a header that matches the pattern; "
                                  "it is shown in every error")
        expect(example, str, file=file, line=at("example"), what="guard.commits.example")
        if not compiled.search(example):
            raise GuardError(f"guard.commits.example {example!r} does not match "
                             "guard.commits.pattern", path=file, line=at("example"),
                             hint="fix the pattern or the example so they agree")
        kw["pattern"], kw["example"] = pattern, example
    elif pattern is not None or example is not None:
        key = "pattern" if pattern is not None else "example"
        raise GuardError(f"guard.commits.{key} is only used with conventions.commit_style: "
                         f"custom (the style is {style})", path=file, line=at(key),
                         hint="set conventions.commit_style: custom, or remove the key")

    if "atomicity" in section:
        a = section["atomicity"]
        aline = at("atomicity")
        if isinstance(a, bool):
            kw["atomicity"] = Atomicity() if a else Atomicity(severity="off")
        else:
            expect(a, dict, file=file, line=aline, what="guard.commits.atomicity")
            check_keys(a, ATOMICITY_KEYS, file=file, where="guard.commits.atomicity")
            akw: dict[str, Any] = {}
            if a.get("severity") is False:
                a["severity"] = "off"
            if "severity" in a:
                akw["severity"] = expect_choice(a["severity"], ("error", "warning", "off"),
                                                file=file, line=line_of(a, "severity"),
                                                what="guard.commits.atomicity.severity")
            akw["max_roles"] = _int(a, "max_roles", 1, file=file, minimum=1,
                                    what="guard.commits.atomicity.max_roles")
            akw["max_unrelated"] = _int(a, "max_unrelated", 0, file=file, minimum=0,
                                        what="guard.commits.atomicity.max_unrelated")
            for key in ("migrations", "migration_related"):
                if key in a:
                    akw[key] = tuple(
                        validate_pattern(p, file=file, line=pl)
                        for p, pl in str_list(a[key], file=file, line=line_of(a, key),
                                              what=f"guard.commits.atomicity.{key}"))
            kw["atomicity"] = Atomicity(**akw)
    return CommitSettings(**kw)


# where each rule's defaults come from, for `guard explain COMMIT0xx`
_ORIGINS = {
    "COMMIT001": "the header shape: the Conventional Commits 1.0 spec (conventional), Angular's "
                 "CONTRIBUTING.md (angular), gitmoji.dev (gitmoji), git's own convention "
                 "(plain). A header that is only a version (`v1.2.3`, `chore(release): 1.2.3`) "
                 "passes with preset config-conventional, as commitlint's default ignores; "
                 "guard's own preset judges it.",
    "COMMIT002": "the types: @commitlint/config-conventional's type-enum ("
                 + ", ".join(CONVENTIONAL_TYPES) + ") under both presets, plus "
                 "guard.commits.extra_types; angular: Angular's fixed list.",
    "COMMIT004": "header_max: 72 under preset guard (guard's own: git's and GitHub's one-line "
                 "summary cut-off); 100 under preset config-conventional "
                 "(@commitlint/config-conventional header-max-length); guard.commits.header_max "
                 "overrides both.",
    "COMMIT005": "guard's own, and config-conventional's subject-empty: the same under both "
                 "presets.",
    "COMMIT006": "guard's own (an error under both presets): config-conventional's "
                 "body-leading-blank is only a warning, but git reads a body on line 2 as part "
                 "of the subject.",
    "COMMIT013": "guard's own, and config-conventional's subject-full-stop: the same under "
                 "both presets.",
    "COMMIT016": "the style's own (plain: capitalised, angular: lower case); conventional has "
                 "no subject case under either preset — config-conventional's subject-case is "
                 "not copied, the spec leaves case alone.",
    "COMMIT007": "body_max: 100 under both presets (@commitlint/config-conventional "
                 "body-max-line-length and footer-max-line-length; lines with a URL are exempt, "
                 "as in commitlint); guard.commits.body_max overrides it. A warning in guard, "
                 "an error in config-conventional.",
}


def defaults_origin(rule_id: str) -> str | None:
    """Where the defaults of a commits rule come from (guard's own, or a preset's)."""
    return _ORIGINS.get(rule_id)
