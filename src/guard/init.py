"""`guard init`: a starter guard: section for company.config.yaml, every key explained."""

from __future__ import annotations

import os

from guard import config as config_mod
from guard import yamlfile
from guard.errors import GuardError
from guard.git import open_repo

TEMPLATE = """\
# guard — policy for agent branches. guard reads this section from the trusted base
# commit (HEAD for --staged), never from the branch it checks.
guard:
  # The role comes from the branch name (agent/<role>/...), else an `Agent-Role:` commit
  # trailer, else `guard check --role`. A role set here overrides all of them, for every
  # branch: leave it commented out in a team repository. Built-in roles: backend, frontend,
  # devops, staff.
  {role_line}
  # Folder with project role files (YAML: name, title, persona, owned, forbidden, shared,
  # optionally `extends: backend`). A file named like a built-in role replaces it. guard
  # reads .guard/roles when it exists; set roles_dir for another folder, which must then
  # exist on the base branch (a missing one is an error, so no override is lost unseen).
  # roles_dir: .guard/roles
  # Extra patterns on top of the role's own lists (.gitignore syntax, ! negates).
  owned: []
  forbidden: []
  shared: []
  # Paths neither owned nor shared: error (default) or warning.
  unowned: error
  # The task's own file scope: a YAML file with allowed:/forbidden:, or a text file with
  # ALLOWED:/FORBIDDEN: lists. The role's do-not-touch list still applies on top.
  # scope: tasks/current-scope.yaml
  # Change a rule's severity (error, warning, info, off) — each change carries a reason.
  severity: {{}}
  #   SCOPE002: {{level: error, reason: "shared types are frozen this sprint"}}
  # Suppress a rule, optionally for some paths — each with a reason. Unused ones are reported.
  ignore: []
  #   - {{rule: SCOPE002, paths: [src/types/generated/], reason: "generated from the contract"}}
  # Extra files that count as policy (a change to them on a branch is POLICY001).
  policy_files: []
  # Test results for the hand-off report: a command guard runs (`guard report`) and/or the
  # JUnit file it writes.
  # tests: {{command: "pytest -q --junitxml=.guard-junit.xml", junit: .guard-junit.xml}}
  # Lowest severity that makes `guard check` exit 1 (error, warning, never). `guard report`
  # ignores it: the report exits 0 unless `guard report --fail-on` is given.
  fail_on: error
"""


def run(*, repo: str, role: str | None, to_stdout: bool) -> str:
    # an explicit `guard init --role` pins that role; by default the line stays a comment
    text = TEMPLATE.format(role_line=f"role: {role}" if role else "# role: backend")
    if to_stdout:
        return text
    git = open_repo(repo)
    path = os.path.join(git.root, config_mod.CONFIG_FILE)
    existing = b""
    if os.path.exists(path):
        with open(path, "rb") as fh:
            existing = fh.read()
        data = yamlfile.load(existing, config_mod.CONFIG_FILE)
        if isinstance(data, dict) and "guard" in data:
            raise GuardError("company.config.yaml already has a guard section",
                             path=config_mod.CONFIG_FILE, line=data.line_of("guard"),
                             hint="edit it by hand, or see `guard init --print` for every key")
    # validate before writing: the template must itself be a valid configuration
    merged = existing + (b"\n" if existing and not existing.endswith(b"\n") else b"") + \
        (b"\n" if existing else b"") + text.encode()
    config_mod.parse(yamlfile.load(merged, config_mod.CONFIG_FILE), config_mod.CONFIG_FILE)
    with open(path, "wb") as fh:
        fh.write(merged)
    return (f"wrote a guard section to {path}\n"
            "next steps:\n"
            "  1. commit company.config.yaml on the base branch (guard reads policy from "
            "there, never from agent branches)\n"
            "  2. add guard's hooks to .pre-commit-config.yaml (guard-scope, "
            "guard-commit-msg, guard-check; they skip branches with no agent role) and run "
            "`pre-commit install -t pre-commit -t commit-msg -t pre-push`\n"
            "  3. run `guard check --base <base branch>` in CI on every agent branch\n")
