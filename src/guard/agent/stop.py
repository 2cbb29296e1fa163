"""The Stop / SubagentStop hook: the stop checks on the branch plus the working tree, with
git's scan of the working tree paid once and overlapped with guard's own start-up.

What `context.build(Options(worktree=True))` does with three scans of the working tree
(`git diff <merge-base>` against it, `git ls-files --others`, and the commits check's
`git status`), this does with one `git status --porcelain=v2`, started before anything else:

- while git scans, guard imports its modules, picks the base and merge base, reads the
  trusted policy, and starts the branch's own diff (trees only, no scan) and the listing
  the migrations check needs (the other core);
- the tracked changes: with a clean working tree, the branch's diff itself; with only
  unstaged edits of files the branch's commits left alone, the branch's diff plus those
  edits (status gives each one's side at HEAD); else `git diff <merge-base>` limited to the
  paths status names and the paths the branch's commits touched — every path where the merge
  base and the working tree can differ, so git answers what the unlimited diff answers;
- untracked files come from the same status (a wholly untracked folder is listed again, on
  its own), and the commits check's uncommitted-work rule reads the same status.

`tests/test_agent_stop.py` holds the changes and findings equal to the three-scan path's on
repositories with committed, staged, modified and untracked work. One deliberate difference:
a committed file whose timestamp changed after the commit is read as committed (the
three-scan path skipped its content until git's stat cache was refreshed; see
_known_content).
"""

from __future__ import annotations

import os

from guard.agent.claude import ALLOW, BLOCK, Answer

# Up to this many changes, the Stop hook reads the changed files' blobs at once (below). A
# larger change leaves them to the checks, which read only what they need (the conventions
# check has git search a change of 500 files or more instead of reading it whole).
PREFETCH_MAX = 200

INTRO = ("guard: not done yet — the branch plus the working tree break the role's "
         "contract. Fix each error below (the part after → says how), then finish.\n")


def answer(event: dict, role: str | None, agent_type: str | None, *, limit: int = 20) -> Answer:
    from guard import git as gitmod

    cwd = event.get("cwd") if isinstance(event.get("cwd"), str) and event.get("cwd") \
        else os.getcwd()
    scan = gitmod.start_status(cwd) if os.path.isdir(cwd) else None   # the long pole first
    try:
        found = worktree_context(cwd, scan, role, agent_type)
        if isinstance(found, Answer):
            return found
        ctx, checks = found
        from guard import engine
        from guard.report import render

        report = engine.run(ctx, checks, fail_on="error", with_commits=False)
    finally:
        if scan is not None:
            scan.close()
    if not report.failed:
        return Answer(ALLOW)
    return Answer(BLOCK, stderr=INTRO + render("agent", report, limit=limit))


def _notice(text: str) -> Answer:
    return Answer(ALLOW, stderr=f"guard: notice: {text}\n")


# what to do when the base is the problem (missing, moved, unrelated), and when it is not
BASE_NEXT = ("Put the branch back on the base it started from (a person can run `guard check "
             "--base origin/main` to see why).")
OTHER_NEXT = ("Do what the error says if it is yours to fix; if it is the set-up (an install, "
              "the policy on the base), stop and report it (a person can run `guard check "
              "--base origin/main` to see the same error).")


def _refuse(text: str, then: str = BASE_NEXT) -> Answer:
    """The stop is held (fail closed) when guard cannot check it: a missing or moved base,
    unrelated history, an error. Claude Code reads exit 2 with stderr as "do not stop"."""
    return Answer(BLOCK, stderr=f"guard: not done yet — the work could not be checked: {text}. "
                                f"{then}\n")


def worktree_context(cwd: str, scan, role: str | None, agent_type: str | None):
    """(the Context `guard check` would build for the branch plus the working tree, the stop
    checks), or the notice Answer saying why nothing is checked. ``scan`` is the status
    started by start_status(cwd)."""
    from guard import git as gitmod
    from guard.errors import GuardError

    started = gitmod.start_probe(cwd) if os.path.isdir(cwd) else None
    # the modules every checked stop needs, imported while git answers the probe
    from guard import context
    from guard.checks.migrations.detect import CANDIDATES
    located = gitmod.probe(cwd, started)
    if located is None:
        try:
            git = gitmod.open_repo(cwd)
        except GuardError as exc:
            return _notice(f"nothing checked — {exc.one_line()}")
        if not git.has_commits() and not git.run(
                ["for-each-ref", "--count=1", "--format=x", "refs/heads", "refs/remotes"],
                check=False).stdout.strip():
            return _notice("nothing checked — the repository has no commit yet")
        # an orphan branch (`git checkout --orphan`) in a repository that has branches, or
        # a HEAD git cannot read: nothing trusted to compare with, so the stop is held
        return _refuse("HEAD names no commit (an orphan branch?) while the repository has "
                       "branches: there is no base to check the work against")
    git, checked_out, _ = located
    env = dict(os.environ)
    if context.ci_target(env) is None:
        # what picking the base asks (the upstream, the default branch) and the setting the
        # tracked changes may need, in the background while the modules import
        git.prefetch_config(["init.defaultBranch", "diff.orderFile"])
        git.prefetch_refs(git.head_ref)
    # the migrations check's listing (below), started on a guess: no guard.migrations.path
    git.prefetch_tree_blobs("INDEX", (), CANDIDATES)
    from guard import policy as pol     # the imports run while git works

    # from here on, as `context.build(Options(base=<the base>, worktree=True))` does it
    branch = git.current_branch()
    head_ref = (env.get("PRE_COMMIT_TO_REF") if env.get("PRE_COMMIT_FROM_REF") else None) \
        or "HEAD"
    try:
        base, origin = context.choose_base(git, context.Options(), branch, env)
        if not base.startswith("-"):
            # the base's commit, the policy files on it, and what the stop checks ask of
            # HEAD later (the commits check: is HEAD the checked-out commit; conventions:
            # the env example, by default), from one git process
            from guard.checks.conventions_spec import Settings as Conventions
            env_example = Conventions._field_defaults["env_example"]
            git.read_at(base, *pol.FIRST_READS, also=("HEAD",),
                        blobs=[(checked_out, env_example)] if head_ref == "HEAD" else [])
        base_sha = git.resolve(base, what="base")
        head = checked_out if head_ref == "HEAD" else git.resolve(head_ref, what="head")
        merge_base = git.merge_base(base_sha, head)     # an orphan branch: no merge base
        context.refuse_moved_base(git, base, base_sha, head, origin, branch, merge_base)
    except GuardError as exc:
        return _refuse(exc.one_line())
    # the branch's own diff (trees only): git computes it while guard reads the policy
    committed = git.diff_later(merge_base, head) if head == checked_out else None

    options = context.Options(repo=git.root, base=base, role=role, worktree=True,
                              agent_name=agent_type)
    reader = pol.RevReader(git, base_sha, f"base {base} {base_sha[:8]}")
    try:
        policy = context.load_policy(git, reader, options, branch,
                                     range_spec=f"{merge_base}..{head}", trusted_rev=base_sha)
    except context.NoRoleError as exc:
        return _notice(f"stop not checked — {exc.one_line()}")

    import guard.engine  # noqa: F401  (answer() runs it; imported while git scans)
    import guard.report.agent  # noqa: F401
    from guard import registry

    checks = [c for c in registry.STOP_CHECKS if c in registry.CHECKS]
    listing = None
    if "migrations" in checks:
        from guard.checks import migrations
        from guard.checks.migrations_spec import Settings
        folders, names = listing = migrations.listing(
            policy.config.settings.get("migrations") or Settings())
        if names and committed is not None:
            git.prefetch_tree_blobs("INDEX", (), names)    # HEAD's and the base's, below
        else:                                              # (started above, if the guess held)
            for rev in (head, merge_base):
                git.prefetch_tree_blobs(rev, folders, names)
    commits_later = None
    if "commits" in checks:          # the range's commits, while git scans
        commits_later = git.log_later(f"{merge_base}..{head}")
    # the branch's own diff (git had it ready while guard read the policy) tells whether the
    # conventions check will read a file; the imports, too, happen while git scans
    on_branch = committed() if committed else None
    if commits_later is not None:
        commits_later = _commit_paths(git, merge_base, head, commits_later(), on_branch)
    for name in checks:
        if name != "conventions" or on_branch is None or _reads_a_file(on_branch):
            registry.load_check(name)

    status = gitmod.parse_status_v2(scan.collect().stdout)
    untracked = git.untracked_files(status.untracked)
    changes = _tracked_changes(git, merge_base, on_branch, status) + \
        git.untracked_as_changes(untracked)
    if "conventions" in checks and not _reads_a_file(changes):
        checks.remove("conventions")     # not imported: it has nothing to read (see there)
    if len(changes) <= PREFETCH_MAX:
        # both sides of the changed files, which the checks read one after another (the
        # import boundary, conventions, the migrations check's model files): one process
        git.prefetch_blobs([sha for c in changes if c.kind == "file" and c.status != "D"
                            for sha in (c.new_sha, c.old_sha)])
    if not any(e.submodule for e in status.entries):
        # what the commits check's uncommitted-work rule asks `git status` (v1, every
        # untracked file); with a submodule change it asks git itself, so the submodule
        # ignore settings apply as they always did
        git.remember_status([(e.code, e.path) for e in status.entries] +
                            [("??", p) for p in untracked])
    if listing and listing[1] and on_branch is not None:
        _migration_trees(git, listing[1], head, merge_base, on_branch, status)
    ctx = context.Context(git, options, "worktree", base, base_sha, merge_base, head_ref,
                          head, policy, changes, branch)
    if commits_later is not None:
        ctx._cache["commits"] = commits_later       # (read once, above)
    return ctx, checks


def _commit_paths(git, merge_base: str, head: str, commits: list, on_branch):
    """The paths each commit touches (the commits check's atomicity rule), remembered for
    it: a single commit on the merge base changes what the branch's diff changes, both
    ends of a rename, in git's path order (without diff.orderFile), as `git log
    --name-only --no-renames` lists them; else that log starts now, on the other core.
    Returns the commits, for Context.commits()."""
    from guard.git import one_commit_paths

    rev_range = f"{merge_base}..{head}"
    known = one_commit_paths(merge_base, head, commits, on_branch) \
        if on_branch is not None else None
    if known is not None and git.config_get("diff.orderFile")[0] == 1:
        git.remember_paths(rev_range, known)
    else:
        git.prefetch_paths(rev_range)
    return commits


def _reads_a_file(changes) -> bool:
    """Whether the conventions check has a file to read: every one of its rules (paths,
    content, tests alongside, entry points, tenancy) looks only at the changes that leave a
    file (not a deletion, a link or a submodule), so without one it yields no finding, and
    the Stop hook does not import it. A read-only task's stop, before any edit, is one."""
    return any(c.status != "D" and c.kind == "file" for c in changes)


def _migration_trees(git, names, head: str, merge_base: str, on_branch, status) -> None:
    """The migrations check lists the files it may read at HEAD and at the merge base (two
    walks of every tree object: ~80 ms of git each on 100,000 files). The index lists them
    faster and holds HEAD except where status names a path (there status gives HEAD's
    side); the merge base is HEAD before the branch's diff. Unmerged paths: git lists."""
    if any(e.head_sha is None for e in status.entries):
        return
    tree = git.tree_blobs("INDEX", (), names)
    for entry in status.entries:
        tree.pop(entry.path, None)
        if entry.head_mode.startswith("100"):
            tree[entry.orig_path or entry.path] = entry.head_sha
    git.remember_tree_blobs(head, (), names, tree)
    for change in on_branch:
        if change.status != "D":
            tree.pop(change.path, None)
        if change.status != "A" and change.old_mode.startswith("100"):
            tree[change.old_path or change.path] = change.old_sha
    git.remember_tree_blobs(merge_base, (), names, tree)


def _tracked_changes(git, merge_base: str, on_branch, status) -> list:
    """`git diff <merge-base>` against the working tree, without scanning it again."""
    from guard.git import PATHSPEC_MAX

    if on_branch is None:            # head is not the checked-out commit: ask git plainly
        return git.diff(merge_base, None)
    if not status.entries:
        return on_branch             # the working tree and the index are HEAD
    edits = _edits_only(on_branch, status)
    if edits is not None and git.config_get("diff.orderFile")[0] == 1:
        return edits                 # (no diff.orderFile: git's order is path order)
    # a path outside both sets is the same at the merge base, HEAD and in the working tree
    paths = {p for c in on_branch for p in c.paths}
    paths.update(e.path for e in status.entries)
    paths.update(e.orig_path for e in status.entries if e.orig_path)
    tracked = git.diff_worktree(merge_base, sorted(paths)) if len(paths) <= PATHSPEC_MAX \
        else git.diff(merge_base, None)
    return _known_content(tracked, on_branch, status)


def _edits_only(on_branch: list, status) -> list | None:
    """The common case without asking git again: every path status names is a file the
    branch's commits left alone, edited in the working tree and not staged (` M`). Then the
    merge base has HEAD's version of it (status gives mode and id), git's diff shows it as
    modified to the unknown (0) working-tree object with the working tree's mode, and it
    takes no part in rename detection (only additions and deletions pair up): the answer
    is the branch's diff with these entries in path order. None when that does not hold
    (or git's order is not path order; `diff.orderFile` is checked by the caller)."""
    from guard.git import ZERO_SHA, Change, encode_path

    touched = {p for c in on_branch for p in c.paths}
    edits = []
    for entry in status.entries:
        if entry.code != " M" or entry.submodule or entry.orig_path or \
                entry.path in touched or entry.head_mode in (None, "000000", "160000"):
            return None
        edits.append(Change("M", entry.path, None, entry.head_mode, entry.worktree_mode,
                            entry.head_sha, ZERO_SHA, None))
    keys = [encode_path(c.path) for c in on_branch]
    if keys != sorted(keys):
        return None
    return sorted(on_branch + edits, key=lambda c: encode_path(c.path))


def _known_content(changes: list, on_branch: list, status) -> list:
    """git's diff against the working tree names the new side's object 0 (not known) for a
    file whose timestamp changed since the index last recorded it, even when its content is
    the committed one: whether a committed file reached the content checks then depended on
    git's stat cache. status compared the content; where the working tree holds what is
    staged, the new side is that object, as git writes it when its stat cache is fresh (and
    as the clean-tree case above gets it from the branch's diff)."""
    from guard.git import ZERO_SHA

    known = {c.path: c.new_sha for c in on_branch if c.status != "D"}
    for entry in status.entries:
        if entry.code[1] == " " and entry.index_sha != ZERO_SHA:
            known[entry.path] = entry.index_sha
        else:
            known.pop(entry.path, None)
    return [c._replace(new_sha=known[c.path])
            if c.new_sha == ZERO_SHA and c.status != "D" and c.path in known else c
            for c in changes]
