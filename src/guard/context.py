"""Everything one run needs, resolved once: repository, range, trusted policy, changes."""

import os
from typing import NamedTuple

from guard import git as gitmod
from guard.errors import GuardError
from guard.git import Change, Git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from guard import policy as pol


class Options(NamedTuple):
    repo: str = "."
    base: str | None = None
    head: str | None = None
    staged: bool = False
    role: str | None = None
    scope: str | None = None
    policy: str = "base"           # base | worktree
    verify_migrations: bool = False
    worktree: bool = False         # range plus uncommitted work (the agent Stop hook)
    agent_name: str | None = None  # the agent hook's agent_type (`engineering-backend`)
    extra: tuple[tuple[str, object], ...] = ()   # check-specific command-line settings
    outputs: tuple[str, ...] = ()  # files guard writes its reports to (--output FORMAT=FILE)


class Context:
    """What every check reads: the repository, the range and its changes, the policy.
    (A plain class: see config.Config on dataclasses.)"""

    def __init__(self, git: Git, options: Options, mode: str, base_ref: str | None,
                 base: str | None, merge_base: str | None, head_ref: str, head: str,
                 policy: "pol.Policy", changes: list[Change], branch: str | None) -> None:
        self.git, self.options = git, options
        self.mode = mode                    # range | staged | worktree
        self.base_ref, self.base, self.merge_base = base_ref, base, merge_base
        self.head_ref = head_ref
        self.head = head                    # a commit id, or "INDEX" for --staged
        self.policy, self.changes, self.branch = policy, changes, branch
        self._cache: dict = {}
        self.ci_merge: str | None = None    # the forge's merge commit at head (ci_merge_commit)
        self.ci_checkout: str | None = None  # "GITHUB_ACTIONS=true" when a CI job checked out
        self.facts: dict = {}               # check name -> data for the report
        self.statuses: dict = {}            # check name -> (status, note) override

    def publish(self, check: str, data) -> None:
        """A check hands structured facts to the reporters (e.g. migration notes)."""
        self.facts[check] = data

    def set_status(self, check: str, status: str, note: str = "") -> None:
        """A check that could not run says so (skipped / error) instead of passing."""
        self.statuses[check] = (status, note)

    def settings(self, check: str):
        return self.policy.config.settings.get(check)

    @property
    def root(self) -> str:
        return self.git.root

    @property
    def range_spec(self) -> str | None:
        if self.mode == "staged" or not self.merge_base or self.head == "INDEX":
            return None
        return f"{self.merge_base}..{self.head}"

    def commits(self):
        if "commits" not in self._cache:
            self._cache["commits"] = self.git.log(self.range_spec) if self.range_spec else []
        elif callable(self._cache["commits"]):          # started by build()
            self._cache["commits"] = self._cache["commits"]()
        if self.ci_merge:
            # the forge's own merge of the branch into its target: no one's commit to judge
            self._cache["commits"] = [c for c in self._cache["commits"]
                                      if c.sha != self.ci_merge or len(c.parents) < 2]
        return self._cache["commits"]


def ci_base(git: Git, env: dict) -> tuple[str, str] | None:
    """The target branch a CI system says this run is for: (ref, where it came from)."""
    target = ci_target(env)
    if target is None:
        return None
    kind, value, origin = target
    return (_remote_first(git, value) if kind == "branch" else value), origin


def ci_target(env: dict) -> tuple[str, str, str] | None:
    """What a CI system's variables name as this run's target, before git is asked:
    ("branch", name, variable) or ("commit", id, variable); None outside CI (then the base
    comes from git: the upstream, the default branch)."""
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_BASE_REF"):
        return "branch", env["GITHUB_BASE_REF"], "GITHUB_BASE_REF"
    if env.get("GITLAB_CI") == "true":
        if env.get("CI_MERGE_REQUEST_EVENT_TYPE") in ("merged_result", "merge_train") and \
                env.get("CI_MERGE_REQUEST_TARGET_BRANCH_SHA"):
            # HEAD is GitLab's merge into the target as it is now: the diff base (where the
            # branch started) would count the target's later commits as the branch's
            return ("commit", env["CI_MERGE_REQUEST_TARGET_BRANCH_SHA"],
                    "CI_MERGE_REQUEST_TARGET_BRANCH_SHA")
        if env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
            return ("commit", env["CI_MERGE_REQUEST_DIFF_BASE_SHA"],
                    "CI_MERGE_REQUEST_DIFF_BASE_SHA")
        if env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
            return ("branch", env["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"],
                    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        if env.get("CI_DEFAULT_BRANCH") and env.get("CI_COMMIT_BRANCH") != env["CI_DEFAULT_BRANCH"]:
            return "branch", env["CI_DEFAULT_BRANCH"], "CI_DEFAULT_BRANCH"
    return None


def ci_branch(env: dict, head: str) -> tuple[str, str] | None:
    """The branch a CI run checks, from the CI's variables, when HEAD is detached (GitHub's
    checkout of a pull request, every GitLab job): (name, variable). Only when ``head`` is
    the commit the CI says it checks out, so a job that checked out something else gets no
    branch name (and no role) from it. The name is what the branch's author chose, as a
    local branch name is: a role read from it is self-declared."""
    if env.get("GITHUB_ACTIONS") == "true":
        shas = {env.get("GITHUB_SHA"), _github_pr_head(env)}
        if head not in shas:
            return None
        if env.get("GITHUB_HEAD_REF"):
            return env["GITHUB_HEAD_REF"], "GITHUB_HEAD_REF"
        ref = env.get("GITHUB_REF", "")
        if ref.startswith("refs/heads/"):
            return ref[len("refs/heads/"):], "GITHUB_REF"
        return None
    if env.get("GITLAB_CI") == "true":
        if head not in {env.get("CI_COMMIT_SHA"), env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA")}:
            return None
        for var in ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH"):
            if env.get(var):
                return env[var], var
    return None


def _github_pr_head(env: dict) -> str | None:
    """The pull request's head commit from the event file GitHub writes (a workflow that
    checks out `github.event.pull_request.head.sha` instead of the merge commit)."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return None
    import json
    try:
        with open(path, encoding="utf-8") as fh:
            sha = json.load(fh)["pull_request"]["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) else None


def ci_merge_commit(env: dict, head: str) -> str | None:
    """``head`` when it is the commit the forge made to test a merge request's merge: GitHub's
    refs/pull/N/merge (what actions/checkout checks out for pull_request events), GitLab's
    merged-results and merge-train pipelines (CI_COMMIT_SHA is the internal merge commit,
    CI_MERGE_REQUEST_SOURCE_BRANCH_SHA the branch's own head). The branch's commits are its
    second parent's; the merge itself is no one's to judge."""
    if (env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_SHA") == head
            and env.get("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target")):
        return head
    if (env.get("GITLAB_CI") == "true" and env.get("CI_COMMIT_SHA") == head
            and env.get("CI_MERGE_REQUEST_EVENT_TYPE") in ("merged_result", "merge_train")
            and env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") not in (None, "", head)):
        return head
    return None


def _remote_first(git: Git, name: str) -> str:
    """origin's branch ``name``, else the local branch: pinned to their full refs, so a tag
    named `origin/main` (one an agent can push) is never read for the CI's target."""
    for candidate, full in ((f"origin/{name}", f"refs/remotes/origin/{name}"),
                            (name, f"refs/heads/{name}")):
        if git.try_resolve(git.pin(candidate, full)):
            return candidate
    return git.pin(f"origin/{name}", f"refs/remotes/origin/{name}")


def choose_base(git: Git, options: Options, branch: str | None, env: dict,
                head: str | None = None) -> tuple[str, str]:
    if options.base:
        return options.base, "--base"
    if env.get("PRE_COMMIT_FROM_REF") and env.get("PRE_COMMIT_TO_REF"):
        from_ref = env["PRE_COMMIT_FROM_REF"]
        if head is None or (git.try_resolve(from_ref) and git.is_ancestor(from_ref, head)):
            return from_ref, "PRE_COMMIT_FROM_REF"
        # a force push (after a rebase): the remote's old tip is not in the pushed history,
        # and its merge base would pull the base branch's own commits into the range. The new
        # commits are those not on the branch's target.
        target = trusted_target(git, env)
        if target:
            return target[0], f"{target[1]} (force push: PRE_COMMIT_FROM_REF is not an " \
                              "ancestor of the pushed head)"
        return from_ref, "PRE_COMMIT_FROM_REF"
    found = ci_base(git, env)
    if found:
        return found
    # the upstream, unless it is the branch itself pushed (a detached HEAD has none)
    upstream = git.upstream(unless_named=branch) if branch else None
    if upstream:
        return upstream, "the branch's upstream"
    default = git.default_branch()
    if default:
        return default, "the default branch"
    if branch is None:
        raise GuardError("HEAD is detached and no base branch can be found",
                         hint="pass the branch this work started from with --base "
                              "(e.g. --base origin/main)")
    raise GuardError("cannot tell which branch this work started from",
                     hint="pass --base (e.g. --base origin/main)")


PICKED = ("the branch's upstream", "the default branch")


def refuse_moved_base(git: Git, base_ref: str, base_sha: str, head: str, origin: str,
                      branch: str | None, merge_base: str) -> None:
    """A base guard picked itself (the upstream, the default branch) is a local ref the agent
    can move (`git branch -f main HEAD`, `git branch -u <child>`, init.defaultBranch). When it
    points at HEAD or past it while HEAD holds commits origin's default branch lacks, the
    range is empty and the policy is the agent's own: refuse (fail closed). Without origin,
    HEAD holds such commits when the base is past HEAD or is a commit made on the checked
    branch (its reflog says so); a fresh branch of an untouched base passes. (HEAD is the
    merge base exactly when the base is HEAD or past it: no extra git call on the way.)"""
    if origin not in PICKED or merge_base != head:
        return
    anchor = git.default_branch()
    anchor_sha = git.try_resolve(anchor) if anchor and anchor.startswith("origin/") else None
    if anchor_sha:
        if git.is_ancestor(head, anchor_sha):
            return       # HEAD is already on origin's default branch: nothing new to hide
        lacks = f"commits {anchor} lacks"
    else:
        if base_sha == head and not (branch and base_sha in git.reflog_commits(
                f"refs/heads/{branch}")):
            return
        lacks = "commits of its own (and there is no origin branch to compare with)"
    raise GuardError(f"the base {base_ref} (from {origin}) is HEAD itself or a later commit "
                     f"of it while HEAD holds {lacks}: a moved base, whose policy is the "
                     "branch's own",
                     hint="pass the branch this work merges into with --base (e.g. --base "
                          "origin/main), and run guard in CI on a fresh clone")


def trusted_target(git: Git, env: dict) -> tuple[str, str] | None:
    """The branch this work will merge into (CI target, else the default branch): where
    policy comes from when the range's own base is not trusted or not known."""
    found = ci_base(git, env)
    if found:
        return found
    default = git.default_branch()
    return (default, "the default branch") if default else None


class NoRoleError(GuardError):
    """No role could be determined; a hook may choose to skip instead of failing."""


def build(options: Options, env: dict | None = None) -> Context:
    env = dict(os.environ) if env is None else env
    head_ref = "HEAD" if options.staged else (
        options.head or (env.get("PRE_COMMIT_TO_REF") if env.get("PRE_COMMIT_FROM_REF")
                         else None) or "HEAD")
    # repository, HEAD, head, --base and branch in one git call; when that is not simply
    # answered, one question at a time, which names the problem
    revs = ["HEAD", head_ref] + ([options.base] if options.base and not options.staged else [])
    opened = gitmod.open_resolved(options.repo, revs)
    if opened is not None:
        git, resolved, branch = opened
    else:
        resolved = {}
        git = gitmod.open_repo(options.repo)
        if not git.has_commits():
            raise GuardError("empty repository: there is no commit yet, so there is no "
                             "trusted policy and no base to compare with", path=git.root,
                             hint="commit the policy (company.config.yaml) first, then run "
                                  "guard (for that first commit: SKIP=guard-scope git commit "
                                  "...)")
        branch = git.current_branch()

    branch_source = None
    if branch is None and not options.staged:
        # detached (a CI checkout): the branch the CI says this is
        found = ci_branch(env, resolved.get(head_ref) or git.resolve(head_ref, what="head"))
        if found:
            branch, branch_source = found
    if options.staged:
        head_sha = resolved.get("HEAD") or git.resolve("HEAD", what="head")
        base_ref, base_sha, merge_base, head_ref, head = "HEAD", head_sha, head_sha, "INDEX", "INDEX"
        trusted_rev, trusted_label = head_sha, f"HEAD {head_sha[:8]}"
        mode = "staged"
    else:
        head = resolved.get(head_ref) or git.resolve(head_ref, what="head")
        base_ref, origin = choose_base(git, options, branch, env, head)
        base_sha = resolved.get(base_ref) or git.resolve(base_ref, what="base")
        if base_sha == head and not options.base:
            # the base branch itself (a person pushing main): no range, and no branch name or
            # trailer naming a role, so `--if-no-role skip` lets it through with a notice
            error = NoRoleError if not options.role else GuardError
            raise error(f"HEAD is the base itself ({base_ref}, from {origin}): there is no "
                             "change to check",
                             hint="run guard on the work branch, or pass --base explicitly")
        merge_base = git.merge_base(base_sha, head)
        refuse_moved_base(git, base_ref, base_sha, head, origin, branch, merge_base)
        trusted_rev, trusted_label = base_sha, f"base {base_ref} {base_sha[:8]}"
        if origin == "PRE_COMMIT_FROM_REF":
            # pre-push: FROM_REF is the remote's previous tip of this same branch, which an
            # earlier push (perhaps with --no-verify) controlled. Policy comes from the
            # branch's target instead; the range stays FROM..TO.
            target = trusted_target(git, env)
            if target:
                trusted_rev, trusted_label = git.resolve(target[0], what="base"), \
                    f"{target[1]} {target[0]}"
                trusted_label += f" {trusted_rev[:8]}"
        mode = "worktree" if options.worktree else "range"

    # git computes the diff on one core while guard imports its policy modules (YAML,
    # patterns, every check's configuration schema) and reads the policy on the other
    if mode == "staged":
        pending = git.diff_later("HEAD", None, cached=True)
    else:
        pending = git.diff_later(merge_base, None if mode == "worktree" else head)
    # every range report lists the range's commits: their log comes the same way
    commits_later = (git.log_later(f"{merge_base}..{head}") if mode == "range" and merge_base
                     else None)
    from guard import policy as pol
    if options.policy == "worktree":
        reader = pol.WorktreeReader(git.root)
    else:
        # the configuration and the default roles folder from one `git cat-file --batch`
        # (read_blob and ls_files then answer from it), as the agent hooks read them
        git.read_at(trusted_rev, *pol.FIRST_READS)
        reader = pol.RevReader(git, trusted_rev, trusted_label)
    policy = load_policy(git, reader, options, branch,
                         range_spec=None if mode == "staged" else f"{merge_base}..{head}",
                         trusted_rev=None if options.policy == "worktree" else trusted_rev,
                         branch_source=branch_source)

    if mode == "staged":
        changes = pending()
        merging = git.merge_head()
        if merging and _reviewed(git, merging, env):
            # concluding a merge of reviewed work (the branch this work merges into): hold
            # the commit to what differs from both parents (the resolution itself)
            theirs = {p for c in git.diff(merging, None, cached=True) for p in c.paths}
            changes = [c for c in changes if any(p in theirs for p in c.paths)]
    elif mode == "worktree":
        changes = pending() + git.untracked_as_changes()
    else:
        changes = pending()
    ctx = Context(git, options, mode, base_ref, base_sha, merge_base, head_ref, head, policy,
                  changes, branch)
    if commits_later is not None:      # a range: its range_spec is what the log was asked
        ctx._cache["commits"] = commits_later
    if mode == "range":
        ctx.ci_merge = ci_merge_commit(env, head)
        # a CI job's checkout: its untracked files are the job's, not the agent's work
        ctx.ci_checkout = next((f"{var}=true" for var in ("GITHUB_ACTIONS", "GITLAB_CI")
                                if env.get(var) == "true"), None)
    return ctx


def _reviewed(git: Git, commit: str, env: dict) -> bool:
    """Is ``commit`` (a merge's other side) work the trusted target branch already holds?
    Anything else — a commit the agent made with `git commit-tree` and merges in — is held
    to the role like the rest of the staged change."""
    target = trusted_target(git, env)
    if target is None:
        return False
    sha = git.try_resolve(target[0])
    return sha is not None and git.is_ancestor(commit, sha)


def load_policy(git: Git, reader, options: Options, branch: str | None, *,
                range_spec: str | None, trusted_rev: str | None,
                branch_source: str | None = None) -> "pol.Policy":
    from guard import policy as pol
    from guard.roles import find_role, load_roles

    cfg = pol.load_config(reader)
    roles = load_roles(pol.project_role_files(reader, cfg))
    wanted, origin = options.role, "--role"
    declared = False     # read from what the branch's author wrote: its name, its trailers
    if not wanted and cfg.role:
        wanted, origin = cfg.role, f"guard.role in {cfg.file}"
    if not wanted and options.agent_name and any(
            options.agent_name == r.name or options.agent_name in r.agent_names
            for r in roles.values()):
        wanted, origin = options.agent_name, f"agent_type {options.agent_name!r} of the hook"
    if not wanted:
        from_branch = pol.role_from_branch(branch, cfg.branch_pattern)
        if from_branch:
            wanted, origin, declared = from_branch, f"branch name {branch!r}", True
            if branch_source:
                origin += f" in {branch_source}"
    if not wanted and range_spec:
        values = sorted(set(git.trailers(range_spec, "Agent-Role")))
        if len(values) > 1:
            raise GuardError(f"the commits disagree on their Agent-Role trailer: {', '.join(values)}",
                             hint="pass --role to say which role this branch is held to")
        if values:
            wanted, origin, declared = values[0], "Agent-Role commit trailer", True
    if not wanted:
        raise NoRoleError("no role: guard cannot tell which role's contract this branch is held to",
                         hint=f"pass --role (one of: {', '.join(sorted(roles))}), set guard.role "
                              "in company.config.yaml, or name the branch agent/<role>/...")
    role = find_role(roles, wanted, origin=origin)
    task = pol.load_task_scope(reader, git.root, cfg.scope_file, cfg.scope_inline, cfg.file,
                               options.scope)
    return pol.Policy(cfg, roles, role, origin, task, reader.label, trusted_rev,
                      role_self_declared=declared)
