"""company.config.yaml: the keys guard reads, validated once, with file:line errors.

The file belongs to the agent framework, so unknown top-level keys are left alone; the keys
guard reads are type-checked, and the `guard:` section is guard's own and strict.
"""

import re
from types import MappingProxyType
from typing import Any, NamedTuple

from guard import yamlfile
from guard.errors import GuardError
from guard.patterns import Source, validate_pattern
from guard import registry
from guard.registry import CHECKS, PLANNED_CHECKS, RULES_BY_ID
from guard.roles import parse_groups
from guard.schema import check_keys, did_you_mean, expect, expect_choice, str_list
from guard.yamlfile import line_of, short_repr

CONFIG_FILE = "company.config.yaml"
DEFAULT_ROLES_DIR = ".guard/roles"
DEFAULT_BRANCH_PATTERN = r"^(?:agents?|ai|bot)/(?P<role>[A-Za-z0-9_.-]+)/"

GUARD_KEYS = ("role", "roles_dir", "owned", "forbidden", "shared", "unowned", "scope",
              "severity", "ignore", "policy_files", "branch_pattern", "tests", "lint", "fail_on",
              "contract", "migrations", "commits", "conventions")
SCOPE_KEYS = ("file", "allowed", "forbidden", "task")
TESTS_KEYS = ("command", "junit", "timeout")
LINT_KEYS = ("command", "timeout")
SEVERITY_KEYS = ("level", "reason")
IGNORE_KEYS = ("rule", "paths", "reason")


class SeverityChange(NamedTuple):
    rule: str
    level: str
    reason: str
    where: str


class Suppression(NamedTuple):
    rule: str
    paths: tuple[Source, ...]   # empty: every path
    reason: str
    where: str


class TestsSettings(NamedTuple):
    command: tuple[str, ...] | None = None
    junit: str | None = None
    timeout: int = 900


# NamedTuples, not dataclasses, on the path every hook call takes: the dataclasses module
# (and the inspect module it loads) cost ~15 ms of each process. parse() passes every dict;
# the defaults are read-only empty mappings, never a dict shared between instances.
_EMPTY: dict = MappingProxyType({})     # type: ignore[assignment]


class Config(NamedTuple):
    file: str                               # display name, e.g. company.config.yaml
    present: bool
    raw: dict = _EMPTY
    personas: dict = _EMPTY
    commit_style: str | None = None
    role: str | None = None
    roles_dir: str = DEFAULT_ROLES_DIR
    roles_dir_line: int | None = None       # guard.roles_dir's line when set (None: default)
    owned: tuple[Source, ...] = ()
    forbidden: tuple[Source, ...] = ()
    shared: tuple[Source, ...] = ()
    unowned: str | None = None
    scope_file: tuple[str, int | None] | None = None
    scope_inline: dict | None = None
    severity: tuple[SeverityChange, ...] = ()
    ignores: tuple[Suppression, ...] = ()
    policy_files: tuple[Source, ...] = ()
    branch_pattern: str = DEFAULT_BRANCH_PATTERN
    tests: TestsSettings = TestsSettings()
    lint: TestsSettings = TestsSettings()   # guard.lint: the lint/format command (no junit)
    fail_on: str | None = None
    reserved: tuple[tuple[str, int | None], ...] = ()   # sections for checks not available yet
    settings: dict = _EMPTY                 # check name -> parsed guard.<check>

    def persona_name(self, key: str | None) -> str | None:
        if not key:
            return None
        value = self.personas.get(key)
        return value if isinstance(value, str) and value.strip() else None


def _rule_id(value: Any, *, file: str, line: int | None, what: str) -> str:
    expect(value, str, file=file, line=line, what=what)
    if value not in RULES_BY_ID:
        raise GuardError(f"{what} names unknown rule {short_repr(value)}", path=file, line=line,
                         hint=did_you_mean(value, RULES_BY_ID) or "see `guard rules`")
    return value


def _reason(entry: dict, *, file: str, what: str) -> str:
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise GuardError(f"{what} has no reason", path=file, line=line_of(entry, "reason"),
                         hint="add reason: \"why this is acceptable\" — every change to a rule "
                              "carries one")
    return reason.strip()


def _command_settings(value: Any, key: str, keys, *, file: str,
                      line: int | None) -> TestsSettings:
    """guard.tests / guard.lint: a command (string split like a shell, or a list), its
    timeout and (tests only) the JUnit file it writes."""
    tests = expect(value, dict, file=file, line=line, what=f"guard.{key}")
    check_keys(tests, keys, file=file, where=f"guard.{key}")
    command = None
    if "command" in tests:
        import shlex
        value = tests["command"]
        if isinstance(value, str):
            try:
                command = tuple(shlex.split(value))
            except ValueError as exc:
                raise GuardError(f"guard.{key}.command cannot be split into words: {exc}",
                                 path=file, line=line_of(tests, "command"),
                                 hint="close the quote, or write the command as a list"
                                 ) from None
        else:
            command = tuple(c for c, _ in str_list(value, file=file,
                                                   line=line_of(tests, "command"),
                                                   what=f"guard.{key}.command"))
        if not command:
            raise GuardError(f"guard.{key}.command is empty", path=file,
                             line=line_of(tests, "command"),
                             hint="give the command to run, or remove the key")
    junit = tests.get("junit")
    if junit is not None:
        expect(junit, str, file=file, line=line_of(tests, "junit"), what=f"guard.{key}.junit")
    timeout = tests.get("timeout", 900)
    expect(timeout, int, file=file, line=line_of(tests, "timeout"),
           what=f"guard.{key}.timeout")
    if timeout < 1:
        raise GuardError(f"guard.{key}.timeout is {timeout}; it must be at least 1 (seconds)",
                         path=file, line=line_of(tests, "timeout"),
                         hint="the default is 900")
    return TestsSettings(command, junit, timeout)


def parse(data: Any, file: str, present: bool = True) -> Config:
    if data is None:
        data = yamlfile.Node()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, dict):
        raise GuardError("company.config.yaml must be a mapping at the top level", path=file,
                         line=getattr(data, "line", 1))
    personas = data.get("personas") or {}
    expect(personas, dict, file=file, line=line_of(data, "personas"), what="personas")
    for key, value in personas.items():
        if value is not None:
            expect(value, str, file=file, line=line_of(personas, key), what=f"personas.{key}")
    conventions = data.get("conventions") or {}
    expect(conventions, dict, file=file, line=line_of(data, "conventions"), what="conventions")
    commit_style = conventions.get("commit_style")
    if commit_style is not None:
        expect(commit_style, str, file=file, line=line_of(conventions, "commit_style"),
               what="conventions.commit_style")
    for key in ("api", "tech_stack", "architecture"):
        if data.get(key) is not None:
            expect(data[key], dict, file=file, line=line_of(data, key), what=key)

    section = data.get("guard")
    if section is None:
        section = yamlfile.Node()
        section.line, section.key_lines = getattr(data, "line", 1), {}
    expect(section, dict, file=file, line=line_of(data, "guard"), what="guard")
    check_keys(section, GUARD_KEYS, file=file, where="the guard section")
    g = section
    kw: dict[str, Any] = {}

    def sline(key: str) -> int | None:
        return line_of(g, key)

    for key in ("role", "roles_dir"):
        if key in g:
            kw[key] = expect(g[key], str, file=file, line=sline(key), what=f"guard.{key}")
    if "roles_dir" in kw:
        kw["roles_dir"] = validate_pattern(kw["roles_dir"], file=file,
                                           line=sline("roles_dir")).rstrip("/")
        kw["roles_dir_line"] = sline("roles_dir") or 1
    for kind in ("owned", "forbidden", "shared"):
        if kind in g:
            kw[kind] = tuple(parse_groups(g[kind], kind=kind, file=file, line=sline(kind)))
    if "unowned" in g:
        kw["unowned"] = expect_choice(g["unowned"], ("error", "warning"), file=file,
                                      line=sline("unowned"), what="guard.unowned")
    if "fail_on" in g:
        kw["fail_on"] = expect_choice(g["fail_on"], ("error", "warning", "never"), file=file,
                                      line=sline("fail_on"), what="guard.fail_on")
    if "scope" in g:
        scope = g["scope"]
        if isinstance(scope, str):
            kw["scope_file"] = (scope, sline("scope"))
        else:
            expect(scope, dict, file=file, line=sline("scope"), what="guard.scope")
            check_keys(scope, SCOPE_KEYS, file=file, where="guard.scope")
            if "file" in scope:
                kw["scope_file"] = (expect(scope["file"], str, file=file,
                                           line=line_of(scope, "file"), what="guard.scope.file"),
                                    line_of(scope, "file"))
            if "allowed" in scope or "forbidden" in scope:
                kw["scope_inline"] = scope
    if "severity" in g:
        sev = expect(g["severity"], dict, file=file, line=sline("severity"),
                     what="guard.severity")
        changes = []
        for rule, entry in sev.items():
            rline = line_of(sev, rule)
            _rule_id(rule, file=file, line=rline, what="guard.severity")
            expect(entry, dict, file=file, line=rline, what=f"guard.severity.{rule}")
            check_keys(entry, SEVERITY_KEYS, file=file, where=f"guard.severity.{rule}")
            level = expect_choice(entry.get("level"), ("error", "warning", "info", "off"),
                                  file=file, line=line_of(entry, "level"),
                                  what=f"guard.severity.{rule}.level")
            changes.append(SeverityChange(rule, level,
                                          _reason(entry, file=file,
                                                  what=f"guard.severity.{rule}"),
                                          f"{file}:{rline}"))
        kw["severity"] = tuple(changes)
    if "ignore" in g:
        items = expect(g["ignore"], list, file=file, line=sline("ignore"), what="guard.ignore")
        sups = []
        for i, entry in enumerate(items):
            eline = line_of(items, i, sline("ignore"))
            expect(entry, dict, file=file, line=eline, what="each entry of guard.ignore")
            check_keys(entry, IGNORE_KEYS, file=file, where="an entry of guard.ignore")
            if "rule" not in entry:
                raise GuardError("an entry of guard.ignore has no rule", path=file, line=eline,
                                 hint="add rule: SCOPE002 (see `guard rules`)")
            rule = _rule_id(entry["rule"], file=file, line=line_of(entry, "rule"),
                            what="guard.ignore rule")
            paths = tuple(
                Source(validate_pattern(p, file=file, line=pl), file, pl, "ignore")
                for p, pl in str_list(entry.get("paths", []), file=file,
                                      line=line_of(entry, "paths"), what="guard.ignore paths"))
            sups.append(Suppression(rule, paths, _reason(entry, file=file,
                                                         what="an entry of guard.ignore"),
                                    f"{file}:{eline}"))
        kw["ignores"] = tuple(sups)
    if "policy_files" in g:
        kw["policy_files"] = tuple(
            Source(validate_pattern(p, file=file, line=pl), file, pl, "policy")
            for p, pl in str_list(g["policy_files"], file=file, line=sline("policy_files"),
                                  what="guard.policy_files"))
    if "branch_pattern" in g:
        pattern = expect(g["branch_pattern"], str, file=file, line=sline("branch_pattern"),
                         what="guard.branch_pattern")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise GuardError(f"guard.branch_pattern is not a valid regular expression: {exc}",
                             path=file, line=sline("branch_pattern")) from None
        if "role" not in compiled.groupindex:
            raise GuardError("guard.branch_pattern has no (?P<role>...) group", path=file,
                             line=sline("branch_pattern"),
                             hint=f"for example {DEFAULT_BRANCH_PATTERN}")
        kw["branch_pattern"] = pattern
    for key, keys in (("tests", TESTS_KEYS), ("lint", LINT_KEYS)):
        if key in g:
            kw[key] = _command_settings(g[key], key, keys, file=file, line=sline(key))
    reserved = []
    settings = {}
    for key in tuple(CHECKS) + tuple(PLANNED_CHECKS):
        spec = registry.spec(key) if key in registry.SPECS else None
        if spec is not None:
            # every spec'd check gets its settings, defaults included: a spec may derive them
            # from the framework's own keys (conventions.*, api.*, tech_stack.*)
            settings[key] = spec.parse_config(g.get(key), file=file, line=sline(key), data=data)
        elif key in g and key not in CHECKS:
            expect(g[key], (dict, bool), file=file, line=sline(key), what=f"guard.{key}")
            reserved.append((key, sline(key)))
    kw["reserved"] = tuple(reserved)
    kw["settings"] = settings
    return Config(file=file, present=present, raw=dict(data), personas=dict(personas),
                  commit_style=commit_style, **kw)


def load(raw: bytes | None, file: str = CONFIG_FILE) -> Config:
    if raw is None:
        return parse(None, file, present=False)
    return parse(yamlfile.load(raw, file), file)
