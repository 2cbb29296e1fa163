"""The decide step's second half: findings that know each other.

Checks judge one thing each; only after all of them ran can guard see that two findings are
about the same file or commit, or that a next step would walk into another rule. Each
function here takes the decided findings and builds new ones (findings are immutable):

- a hint whose fix edits a path (`data["fix_paths"]`) that the role shares or must not
  touch says so, and whom to coordinate with, before the agent raises SCOPE001/SCOPE002;
  one that edits guard policy the role does not own becomes a request to the Staff
  Engineer (the edit belongs on the base; on the branch it is POLICY001);
- SCOPE001 on a change made by commits that change nothing else: drop those commits (a
  revert on top would leave each of them touching another role's file);
- COMMIT011 whose other role's file is SCOPE001: that file's change goes first, then the
  commit is one concern (split-then-revert is the wrong order);
- SCOPE001/SCOPE004 in staged mode (the pre-commit hook): the change is in the index, not
  in a commit, so the step is to unstage it and undo the working-tree edit;
- `git rebase -i <base>` in a step names the merge-base commit.

Light imports only: this runs on the pre-commit path.
"""

from __future__ import annotations

from guard.finding import Finding


def data_of(finding: Finding, key: str, default=None):
    return next((v for k, v in finding.data if k == key), default)


def _with_data(finding: Finding, key: str, value, hint: str | None = None) -> Finding:
    """``finding`` with data[key] = value (and, given, a new hint): one new finding."""
    if finding.data:
        data = tuple((k, v) for k, v in finding.data if k != key) + ((key, value),)
    else:
        data = ((key, value),)
    if hint is None:
        return finding._replace(data=data)
    return finding._replace(hint=hint, data=data)


# -- next steps held to the role --------------------------------------------------------
def role_checked(findings: list[Finding], policy) -> list[Finding]:
    out = []
    for f in findings:
        paths = data_of(f, "fix_paths")
        if not paths:
            out.append(f)
            continue
        notes = []
        for path in paths:
            decision = policy.decide(path)
            src = decision.source
            if policy.policy_files.decide(path) is not None and \
                    not policy.owns_policy_file(decision):
                # guard policy: read from the base, so the edit goes there, not on the branch
                f = f._replace(hint=(
                    f"ask the Staff Engineer to make this change on the base branch: {f.hint}. "
                    f"{path} is guard policy, read from {policy.source_label}: an edit on "
                    "this branch does not apply and is POLICY001"))
                notes = []
                break
            if decision.verdict == "forbidden":
                owner = policy.owner_title(src.owner) if src else None
                notes.append(f"{path} is on the do-not-touch list for the {policy.role.title}"
                             + (f" ({owner} owns it)" if owner else "")
                             + ": do not edit it; ask the Staff Engineer to route that part "
                             "to its owner")
            elif decision.verdict == "shared":
                note = f" — {src.note} —" if src and src.note else ""
                notes.append(f"{path} is a shared boundary for the {policy.role.title}{note} "
                             "so the edit raises SCOPE002 (a warning): coordinate it via the "
                             "Staff Engineer and list it in the hand-off report")
            elif decision.verdict in ("unowned", "outside-task"):
                rule = "SCOPE003" if decision.verdict == "unowned" else "SCOPE004"
                notes.append(f"{path} is outside the paths the {policy.role.title} may change "
                             f"({rule}): ask the Staff Engineer to make that edit or to assign "
                             "the path")
        if notes:
            f = f._replace(hint=f"{f.hint} (note: {'; '.join(notes)})")
        out.append(f)
    return out


# -- scope and commits ------------------------------------------------------------------
def _short(sha: str) -> str:
    return sha[:8]


# the fixes scope.py's _fix starts a SCOPE001 hint with: (words before the path, after it)
_FIXES = (("move it back to ", ""), ("remove ", " from the branch"), ("restore ", ""),
          ("revert ", ""))


def _split(f: Finding) -> tuple[str, str]:
    """A SCOPE001 hint as (its fix, what follows: whom the path belongs to), as scope.py's
    _fix and _tails build it."""
    hint, path = f.hint, str(f.path)
    for head, end in _FIXES:
        # hint.startswith(head + path + end), without building that string per finding
        if hint.startswith(head) and hint.startswith(path, len(head)) and \
                hint.startswith(end, len(head) + len(path)):
            cut = len(head) + len(path) + len(end)
            tail = hint[cut:]
            return hint[:cut], ";" + tail[1:] if tail.startswith(":") else tail
    return hint, ""


def _out_of_commit(path: str, status: str) -> str:
    """The command that takes ``path``'s change out of the commit being edited."""
    if status == "A":
        return f"git rm {path}"
    return f"git checkout HEAD^ -- {path}"


def _paths_per_commit(ctx, commits) -> dict[str, list[str]]:
    """The paths each commit of the range changes. One commit on top of the merge base: its
    diff is the range's, already read (both ends of a rename), so no second `git log`."""
    from guard.git import one_commit_paths

    head = ctx.range_spec.partition("..")[2]
    known = one_commit_paths(ctx.merge_base, head, commits, ctx.changes)
    return known if known is not None else ctx.git.paths_per_commit(ctx.range_spec)


_OUT_OF_BOUNDS = ("SCOPE001", "SCOPE004")     # changes that must come out of the branch


def commit_aware(findings: list[Finding], ctx) -> list[Finding]:
    """SCOPE001/SCOPE004 and COMMIT011 related through the commits that made each change."""
    scope = [f for f in findings if f.rule in _OUT_OF_BOUNDS and f.path]
    if not scope or ctx is None or not ctx.range_spec or ctx.mode != "range":
        return findings
    commits = {c.sha: c for c in ctx.commits()}
    if not commits or any(len(c.parents) > 1 for c in commits.values()):
        return findings          # merges: which commit made a change is not one answer
    per_commit = _paths_per_commit(ctx, list(commits.values()))
    # (a 20,000-file change: ~4,500 findings to rewrite, so the sets below are built with
    # set operations rather than a Python step per changed path)
    status = {change.path: change.status for change in ctx.changes}
    partner = {change.old_path: change.path for change in ctx.changes
               if change.status == "R" and change.old_path}
    # the paths of every forbidden change (a rename away from a forbidden path: both ends)
    change_set = {f.path: (f.path, partner[f.path]) if f.path in partner else (f.path,)
                  for f in scope}
    forbidden = set(change_set)
    forbidden.update(partner[p] for p in forbidden.intersection(partner))
    scope001 = {f.path for f in scope if f.rule == "SCOPE001"}
    # commits that change only forbidden paths: dropping them removes the change whole
    only_forbidden = {sha for sha, paths in per_commit.items()
                      if sha in commits and paths and forbidden.issuperset(paths)}
    touched_by: dict[str, list[str]] = {}        # forbidden path -> the commits changing it
    for sha, paths in per_commit.items():
        if sha in commits:
            for path in forbidden.intersection(paths):
                touched_by.setdefault(path, []).append(sha)
    none: list[str] = []
    makers = {p: (list(dict.fromkeys(touched_by.get(s[0], none) + touched_by.get(s[1], none)))
                  if len(s) == 2 else touched_by.get(p, none))
              for p, s in change_set.items()}
    droppable = {p: shas for p, shas in makers.items()
                 if shas and all(sha in only_forbidden for sha in shas)} \
        if only_forbidden else {}
    # one mixed commit made the change (not a rename): its change comes out of that commit,
    # which also settles the commit's COMMIT011; a revert on top would leave that standing
    editable = {p: shas[0] for p, shas in makers.items() if len(shas) == 1
                and p not in droppable and p not in partner and status.get(p) in "AMD"}
    order = {c.sha: i for i, c in enumerate(reversed(ctx.commits()))}
    out = []
    for f in findings:
        if f.rule in _OUT_OF_BOUNDS and f.path in droppable:
            shas = droppable[f.path]
            # oldest first, as git rebase -i lists them
            shas = sorted(shas, key=order.__getitem__)
            listed = ", ".join(_short(s) for s in shas)
            plural = "s" if len(shas) > 1 else ""
            fix, tail = _split(f)
            them = "them" if plural else "it"
            f = _with_data(f, "drop_commits", tuple(shas), hint=(
                f"{fix} by dropping commit{plural} {listed} (git rebase -i <base>, mark {them} "
                f"`drop`), which change{'' if plural else 's'} nothing else{tail}"))
        elif f.rule in _OUT_OF_BOUNDS and f.path in editable:
            sha = editable[f.path]
            fix, tail = _split(f)
            short = _short(sha)
            f = _with_data(f, "edit_commit", sha, hint=(
                f"{fix} by taking its change out of commit {short}, which changes other "
                f"files too (git rebase -i <base>, `edit` {short}, "
                f"{_out_of_commit(f.path, status[f.path])}, git commit --amend, "
                f"git rebase --continue){tail}"))
        elif f.rule == "COMMIT011" and data_of(f, "paths"):
            sha = data_of(f, "commit")
            theirs = [p for p in data_of(f, "paths") if p in change_set and p in scope001]
            if theirs and sha:
                path = theirs[0]
                if sha in only_forbidden:
                    hint = (f"{path} is another role's file (SCOPE001) and this commit changes "
                            f"nothing else: drop it (git rebase -i <base>, mark {_short(sha)} "
                            "`drop`); then no commit mixes the roles")
                    f = _with_data(f, "drop_commits", (sha,))
                else:
                    hint = (f"{path} is another role's file (SCOPE001): drop or revert that "
                            f"file's change in this commit first (git rebase -i <base>, `edit` "
                            f"{_short(sha)}, {_out_of_commit(path, status.get(path, 'M'))}, "
                            "git commit --amend, git rebase --continue), then the commit is one "
                            "concern; do not split it off into a commit of its own")
                f = f._replace(hint=hint)
        out.append(f)
    return out


# -- staged mode: the change is in the index ----------------------------------------------
def _unstage(path: str, status: str, renamed: tuple[str, str] | None) -> str:
    """How the staged change of ``path`` comes out of the index and the working tree: the
    file must not change, so unstaging alone would leave the edit for the next commit.
    ``renamed`` is (old, new) when the change is a rename."""
    if renamed:
        old, new = renamed
        return (f"unstage the rename (git restore --staged -- {old} {new}), then bring the old "
                f"file back (git restore -- {old}) and delete {new}")
    if status == "A":
        return (f"unstage it (git restore --staged -- {path}), then delete {path} from the "
                "working tree")
    if status == "D":
        return (f"unstage the deletion (git restore --staged -- {path}), then bring the file "
                f"back (git restore -- {path})")
    return (f"unstage it (git restore --staged -- {path}), then undo the working-tree edit "
            f"(git restore -- {path}): the file must not change")


def staged_aware(findings: list[Finding], ctx) -> list[Finding]:
    """SCOPE001/SCOPE004 in staged mode: "revert P" means the index and the working tree,
    not a commit (there is none yet)."""
    if ctx is None or ctx.mode != "staged" or \
            not any(f.rule in ("SCOPE001", "SCOPE004") and f.path for f in findings):
        return findings
    change_of = {p: c for c in ctx.changes for p in c.paths}
    out = []
    for f in findings:
        change = change_of.get(f.path) if f.rule in ("SCOPE001", "SCOPE004") else None
        if change is not None:
            renamed = ((change.old_path, change.path)
                       if change.status == "R" and change.old_path else None)
            fix, tail = _split(f)
            fix = fix.replace(" from the branch", " from the commit")
            f = _with_data(f._replace(hint=f"{fix}: {_unstage(f.path, change.status, renamed)}"
                                           f"{tail}"), "unstage", True)
        out.append(f)
    return out


def reverted_aware(findings: list[Finding], ctx) -> list[Finding]:
    """SCOPE006: the change and its undoing are two or more commits; dropping only the
    first leaves the undoing commit without the change it undoes (a conflict in the
    rebase). Name every commit that touched the path."""
    reverted = [f for f in findings if f.rule == "SCOPE006" and f.path]
    if not reverted or ctx is None or not ctx.range_spec or ctx.mode != "range":
        return findings
    commits = ctx.commits()
    if any(len(c.parents) > 1 for c in commits):
        return findings
    per_commit = ctx.git.paths_per_commit(ctx.range_spec)
    paths = {f.path for f in reverted}
    order = {c.sha: i for i, c in enumerate(reversed(commits))}
    out = []
    for f in findings:
        if f in reverted:
            shas = sorted((sha for sha, changed in per_commit.items()
                           if sha in order and f.path in changed), key=order.__getitem__)
            listed = ", ".join(_short(s) for s in shas)
            if shas and all(set(per_commit[s]) <= paths for s in shas):
                f = _with_data(f._replace(hint=(
                    f"drop commits {listed} (git rebase -i <base>, mark them `drop`): they "
                    f"change {f.path} and undo it, and change nothing else; or squash the "
                    "branch when merging")), "drop_commits", tuple(shas))
            elif shas:
                f = f._replace(hint=(
                    "squash the branch when merging, or take the change and its undoing out "
                    f"of commits {listed} together (git rebase -i <base>, `edit` each, "
                    f"git checkout HEAD^ -- {f.path}, git commit --amend, "
                    "git rebase --continue); dropping only the first makes the later ones "
                    "conflict"))
        out.append(f)
    return out


def relate(findings: list[Finding], policy, ctx=None) -> list[Finding]:
    findings = role_checked(findings, policy)
    findings = staged_aware(findings, ctx)
    findings = reverted_aware(findings, ctx)
    return onto_merge_base(commit_aware(findings, ctx), ctx)


def onto_merge_base(findings: list[Finding], ctx) -> list[Finding]:
    """Steps that say `git rebase -i <base>` name the commit instead: the merge-base, so the
    branch's own commits are edited where they stand, and an agent need not guess what
    `<base>` is. Staged mode (no commits to rebase) and a run with no merge-base keep it."""
    if ctx is None or ctx.mode != "range" or not ctx.merge_base:
        return findings
    onto = ctx.merge_base[:12]
    return [f._replace(hint=f.hint.replace("<base>", onto))
            if "<base>" in f.hint and "git rebase -i" in f.hint else f for f in findings]
