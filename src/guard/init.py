"""`guard init`: a starter guard: section for company.config.yaml, every key explained."""

from __future__ import annotations

import os
from typing import NamedTuple

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
  {shared_line}
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
    try:
        git = open_repo(repo)
    except GuardError:
        if not to_stdout:
            raise
        git = None                       # --print outside a repository: the template alone
    path = os.path.join(git.root, config_mod.CONFIG_FILE) if git else None
    existing = b""
    data = None
    if path and os.path.exists(path):
        with open(path, "rb") as fh:
            existing = fh.read()
        data = yamlfile.load(existing, config_mod.CONFIG_FILE)
        if isinstance(data, dict) and "guard" in data and not to_stdout:
            raise GuardError("company.config.yaml already has a guard section",
                             path=config_mod.CONFIG_FILE, line=data.line_of("guard"),
                             hint="edit it by hand, or see `guard init --print` for every key")
    read = _read_repository(git, data)
    text = read.conventions + TEMPLATE.format(
        role_line=f"role: {role}" if role else "# role: backend", shared_line=read.shared)
    if to_stdout:
        for name, body in read.roles.items():
            text += (f"\n# guard init also writes .guard/roles/{name}.yaml:\n"
                     + "".join(f"# {line}\n" if line else "#\n"
                               for line in body.splitlines()))
        return text
    # validate before writing: the template must be a valid configuration (the role files
    # were parsed by _read_repository, which lists the folders they leave unowned)
    merged = existing + (b"\n" if existing and not existing.endswith(b"\n") else b"") + \
        (b"\n" if existing else b"") + text.encode()
    config_mod.parse(yamlfile.load(merged, config_mod.CONFIG_FILE), config_mod.CONFIG_FILE)
    roles_dir = os.path.join(git.root, ".guard", "roles")
    new_roles = {name: body for name, body in read.roles.items()
                 if not os.path.exists(os.path.join(roles_dir, f"{name}.yaml"))}
    with open(path, "wb") as fh:
        fh.write(merged)
    for name, body in new_roles.items():
        os.makedirs(roles_dir, exist_ok=True)
        with open(os.path.join(roles_dir, f"{name}.yaml"), "w", encoding="utf-8") as fh:
            fh.write(body)
    lines = [f"wrote a guard section to {path}"]
    lines += read.notes
    kept = sorted(set(read.roles) - set(new_roles))
    if new_roles:
        lines.append("wrote " + ", ".join(f".guard/roles/{n}.yaml" for n in new_roles)
                     + " (the built-in packs plus this repository's folders)")
    if kept:
        lines.append("kept the existing " + ", ".join(f".guard/roles/{n}.yaml" for n in kept)
                     + " (add the folders above by hand if they are missing)")
    what = "company.config.yaml" + (" and .guard/roles/" if new_roles else "")
    lines += [
        "next steps:",
        f"  1. commit {what} on the base branch and push it (guard reads policy from "
        "there — origin's copy once there is an origin —, never from agent branches)",
        "  2. add guard's hooks to .pre-commit-config.yaml (guard-scope, guard-commit-msg, "
        "guard-check with `args: [--skip, contract]`; they skip branches with no agent role) "
        "and run `pre-commit install` (README.md's quick start has the block)",
        "  3. run guard in CI on every pull request: guard's GitHub Action or "
        "ci/gitlab-guard.yml (docs/integrations.md)",
    ]
    return "\n".join(lines) + "\n"


class _Read(NamedTuple):
    conventions: str          # a conventions: section to write before guard:, or ""
    roles: dict[str, str]     # role → .guard/roles/<role>.yaml text
    notes: list[str]          # what guard init read, for the user
    shared: str = "shared: []"   # the guard.shared line


def _read_repository(git, data) -> _Read:
    """The project's layout and commit style, read from HEAD (see guard.initdetect)."""
    if git is None or not git.has_commits():
        return _Read("", {}, [])
    from guard import initdetect

    notes = []
    layout = initdetect.detect_layout(git)
    if layout:
        sides = [f"{', '.join(paths)} ({side})" for side, paths in
                 (("backend", layout.backend), ("frontend", layout.frontend)) if paths]
        notes.append("read the layout: " + "; ".join(sides)
                     + (f"; shared workspace files {', '.join(layout.manifests)}"
                        if layout.manifests else ""))
    conventions = ""
    has_conventions = isinstance(data, dict) and "conventions" in data
    guess = initdetect.detect_commit_style(git)
    ranked = sorted(guess.counts, key=lambda s: -guess.counts[s])
    evidence = (f"of the last {guess.total} commits (merges and bots left out), "
                + ", ".join(f"{guess.counts[s]} follow {s}" for s in ranked))
    if has_conventions:
        if guess.style and "commit_style" not in (data["conventions"] or {}):
            notes.append(f"commit style: {evidence}; set conventions.commit_style: "
                         f"{guess.style} in company.config.yaml to hold agents to it")
    elif guess.style:
        conventions = ("conventions:\n  # read by guard init from the project's history:"
                       f"\n  # {evidence}.\n  # Agents are held to this style (conventional, "
                       "angular, gitmoji, plain, custom).\n"
                       f"  commit_style: {guess.style}\n")
        notes.append(f"commit style: {guess.style} — {evidence}")
    elif guess.total >= initdetect.MIN_HISTORY:
        notes.append(f"commit style: no style has a majority ({evidence}); agents are held "
                     "to conventional commits, the default (conventions.commit_style)")
    roles = initdetect.role_files(layout)
    shared = "shared: []"
    if layout.docs:
        shared = ("# documentation (read by guard init): any role may update it, with a "
                  "coordination\n  # warning (SCOPE002)\n  shared: ["
                  + ", ".join(f'"{p}"' for p in layout.docs) + "]")
    from guard.roles import load_roles
    known = load_roles([(f".guard/roles/{n}.yaml", body.encode()) for n, body in roles.items()])
    free = initdetect.unassigned(layout, known)
    if free:
        notes.append("no role owns " + ", ".join(free) + ": agents' changes there are "
                     "unowned (SCOPE003) until you add them to a role in .guard/roles/ or to "
                     "guard.owned / guard.shared")
    return _Read(conventions, roles, notes, shared)
