"""policy: the files guard reads its policy from must not change on the checked branch."""

from __future__ import annotations

from typing import Iterator

from guard.finding import Finding


def _policy_inside(policy, path: str):
    """The policy pattern a symlink or submodule at ``path`` would hold files of: one
    naming the folder (`.guard/`) or a literal file under it (`.claude/settings.json`)."""
    src = policy.policy_files.decide(path + "/\0")
    if src is not None:
        return src
    prefix = path + "/"
    return next((s for s in policy.policy_files.sources
                 if not s.pattern.startswith("!") and s.pattern.lstrip("/").startswith(prefix)),
                None)


def run(ctx) -> Iterator[Finding]:
    from guard.checks.scope import entry_decision

    policy = ctx.policy
    for change in ctx.changes:
        for path in change.paths:
            src = policy.policy_files.decide(path)
            if src is None and change.kind != "file":
                src = _policy_inside(policy, path)
            if src is None:
                continue
            decision = policy.decide(path) if change.kind == "file" else \
                entry_decision(policy, path)
            if policy.owns_policy_file(decision):
                continue
            why = ""
            if decision.verdict == "owned" and decision.owned_by_role:
                why = (f"; the {policy.role.title} owns it, but the role was read from the "
                       f"{policy.role_origin}, which the branch chose")
            yield Finding(
                "POLICY001", "policy", "error",
                f"{path} is guard policy and was {change.describe} on the branch; guard read "
                f"the policy from {policy.source_label}, so the edit does not apply here{why}",
                f"revert {path}; ask the Staff Engineer to change the policy on the base branch"
                + ("; a run that names the role itself (--role, or guard.role in the trusted "
                   "company.config.yaml) lets the owning role change it" if why else ""),
                path)
    for key, line in policy.config.reserved:
        yield Finding(
            "POLICY003", "policy", "info",
            f"guard.{key} is configured, but this guard version has no {key} check: "
            "nothing was checked for it",
            "upgrade guard, or remove the section until the check is available",
            policy.config.file, line, data=(("fix_paths", (policy.config.file,)),))
