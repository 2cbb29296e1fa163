"""The explicit tables: every check guard can run and every rule it can raise.

Rule ids are stable (family prefix + number) and documented here once; `guard rules`,
`guard explain RULE`, the SARIF rules table and the README catalogue all read this table.
Checks are named by module path and imported only when they run, so the pre-commit path
never pays for a heavy check it does not run.
"""

from __future__ import annotations

import importlib

from guard.rule import Rule

# check name -> "module:function". Order is the run order.
CHECKS: dict[str, str] = {
    "policy": "guard.checks.policy:run",
    "scope": "guard.checks.scope:run",
    "commits": "guard.checks.commits:run",
    "contract": "guard.checks.contract:run",
    "migrations": "guard.checks.migrations:run",
    "conventions": "guard.checks.conventions:run",
}

# check name -> its spec module: pure data (RULES) and the parser of its `guard.<check>`
# configuration section (parse_config). Spec modules import only the standard library and
# guard's light modules, never the check's heavy dependencies.
SPECS: dict[str, str] = {
    "commits": "guard.checks.commits_spec",
    "contract": "guard.checks.contract_spec",
    "migrations": "guard.checks.migrations_spec",
    "conventions": "guard.checks.conventions_spec",
    "report": "guard.checks.report_spec",
}

# Rule families raised outside `guard check`: `guard verify-report` (not a diff check).
REPORT_CHECKS = ("report",)

# Checks named by the design that later issues add; asking for one by name is an error
# that says so, instead of a silent pass.
PLANNED_CHECKS: tuple[str, ...] = ()

# Checks cheap enough for the pre-commit hook.
FAST_CHECKS = ("policy", "scope", "commits")

# What the agent Stop hook holds the agent to before it reports back: every check that
# reads the change statically (the contract check needs the app running; migrations
# run without --verify-migrations here, i.e. statically).
STOP_CHECKS = ("policy", "scope", "commits", "conventions", "migrations")


CORE_RULES: tuple[Rule, ...] = (
    Rule("SCOPE001", "do-not-touch-path", "scope", "error",
         "The branch changed a path on the role's do-not-touch list.",
         "Each role's contract names the paths other roles own. A change there, even a "
         "one-line fix made 'while I was there', lands in someone else's domain unreviewed. "
         "Deny always wins over own.",
         "backend branch edits src/components/Button.tsx (Frontend Engineer's domain)",
         "revert the edit and ask the Staff Engineer to route it to the Frontend Engineer"),
    Rule("SCOPE002", "shared-boundary", "scope", "warning",
         "The branch changed a shared boundary that needs coordination via the Staff Engineer.",
         "Shared types, route handlers used by both layers and environment variables are "
         "contracts between roles; a change is allowed but must be announced.",
         "backend branch silently changes src/types/order.ts",
         "change it, and list it in the hand-off report so the Staff Engineer coordinates"),
    Rule("SCOPE003", "unowned-path", "scope", "error",
         "The branch changed a path the role neither owns nor shares.",
         "Anything outside the role's owned paths belongs to someone else or to nobody yet; "
         "either way the role's contract does not cover it.",
         "backend branch adds scripts/cleanup.sh",
         "move the file under an owned path, or have the path added to the role's policy"),
    Rule("SCOPE004", "outside-task-scope", "scope", "error",
         "The branch changed a path outside the task's own file scope.",
         "The Staff Engineer gives each task an explicit list of files it may modify; work "
         "outside it is unplanned even when the role would own it.",
         "task scope allows src/api/orders/ but the branch edits src/api/users.py",
         "revert the change, or ask the Staff Engineer to widen the task's file scope"),
    Rule("SCOPE005", "symlink-escape", "scope", "error",
         "A symlink added or changed on the branch points into a forbidden path or out of "
         "the repository (followed through every link on its way, as the OS resolves it; "
         "a loop of links counts too).",
         "A link under an owned folder that resolves into someone else's domain (or outside "
         "the checkout) lets later writes through the link bypass scope checks.",
         "src/server/ui -> ../components (a do-not-touch folder)",
         "remove the link; import or copy what you need through an owned path"),
    Rule("SCOPE006", "forbidden-change-reverted", "scope", "warning",
         "A commit of the range changed a do-not-touch path (or one outside the task's "
         "scope), and a later commit undid it: the net diff is clean, the history is not.",
         "Only the net diff is checked for SCOPE001/SCOPE004; a merge without squash keeps "
         "the forbidden commit in the base branch's history, where it can be cherry-picked, "
         "reverted back or bisected onto.",
         "commit a1b2c3d4 edits deploy/nginx.conf, commit e5f6a7b8 restores it",
         "drop the commit and the later one that undid it (git rebase -i), or squash the "
         "branch when merging"),
    Rule("SCOPE007", "shared-boundary-imports", "scope", "warning",
         "A changed file imports from both a server-owned and a UI-owned area of the role "
         "packs (Python import/from, JS/TS import, export-from, require(), import(), "
         "tsconfig.json path aliases), wherever the file is.",
         "The role contract makes 'API route handlers that import from both server and UI "
         "layers' a shared boundary: such a file couples both roles' code, so a change to "
         "it needs the Staff Engineer's coordination, whatever folder it sits in.",
         "src/lib/report.ts imports '@/server/db' (src/server/) and "
         "'@/components/Chart' (src/components/)",
         "list the file in the hand-off report for the Staff Engineer, or move the server "
         "call behind an API route the UI calls"),
    Rule("POLICY001", "policy-file-changed", "policy", "error",
         "The branch changed a file guard reads its policy from, and the role does not own it.",
         "The checked branch is untrusted: guard reads policy from the base, so an edit there "
         "cannot loosen this run, but it would loosen every run after the merge.",
         "agent branch edits company.config.yaml to add src/components/ to its owned paths",
         "revert the policy edit; ask the Staff Engineer to change the policy on the base branch"),
    Rule("POLICY002", "unused-suppression", "policy", "warning",
         "A suppression in the trusted policy matched no finding in this run.",
         "Stale suppressions hide future problems and make the policy harder to read.",
         "guard.ignore lists SCOPE002 for src/types/legacy/ but nothing there changed",
         "remove the suppression, or narrow it to what it is meant for"),
    Rule("POLICY003", "check-not-available", "policy", "info",
         "The configuration names a check this guard version does not run yet.",
         "A configured but unavailable check must not look like a pass.",
         "guard.contract is set, and this guard version has no contract check",
         "upgrade guard, or remove the section until the check is available"),
)

def _spec(name: str):
    return importlib.import_module(SPECS[name])


def _rules() -> tuple[Rule, ...]:
    rules = CORE_RULES + tuple(rule for name in SPECS for rule in _spec(name).RULES)
    seen: set[str] = set()
    for rule in rules:
        assert rule.id not in seen, f"duplicate rule id {rule.id}"
        assert rule.check in CHECKS or rule.check in PLANNED_CHECKS or \
            rule.check in REPORT_CHECKS, rule
        assert rule.severity in ("error", "warning", "info"), rule
        seen.add(rule.id)
    return rules


def __getattr__(name: str):
    # RULES and RULES_BY_ID import every check's spec module; built on first use, so a
    # caller that only needs CHECKS (choosing which checks run) does not pay for them
    if name in ("RULES", "RULES_BY_ID"):
        rules = _rules()
        globals().update(RULES=rules, RULES_BY_ID={rule.id: rule for rule in rules})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def spec(name: str):
    """The spec module of a check, or None for checks without configuration."""
    return _spec(name) if name in SPECS else None


def load_check(name: str):
    module, func = CHECKS[name].split(":")
    return getattr(importlib.import_module(module), func)
