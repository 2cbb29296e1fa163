"""What `guard init` reads from the repository before it writes a policy.

Two things a team's repository already says, which the built-in role packs cannot know:
- its **layout**: the packs describe one `src/` tree (`src/server/`, `src/components/`); a
  repository with `backend/` and `frontend/` folders (or `apps/web/`, `packages/api/`) needs
  those folders in the roles, or every agent change is "not among the paths the role owns";
- its **commit style**: a project that writes gitmoji headers (`✨ Add login`) holds its agents
  to gitmoji, not to conventional commits.

Pure decisions over what guard.git returns; nothing here writes.
"""

from __future__ import annotations

from typing import NamedTuple

from guard.git import Commit, Git

# folder names that are an application of one side, at the root or one level below a
# workspace folder (apps/web/, packages/api/, services/server/)
BACKEND_NAMES = ("backend", "server", "api")
FRONTEND_NAMES = ("frontend", "client", "web", "webapp", "ui")
WORKSPACES = ("apps", "packages", "services")
# root files of a workspace that both sides change (a dependency added in backend/ updates the
# root lock file): shared, so a change is a coordination warning, not "unowned"
MANIFESTS = ("package.json", "package-lock.json", "pnpm-lock.yaml", "pnpm-workspace.yaml",
             "yarn.lock", "bun.lock", "bun.lockb", "uv.lock", "poetry.lock", "pyproject.toml",
             "turbo.json", "nx.json")
# the devops pack's container files, which stay devops' inside an application folder
CONTAINER_FILES = ("Dockerfile", "Dockerfile.*", ".dockerignore")

HISTORY = 300          # commits read for the style
MIN_HISTORY = 20       # fewer non-bot commits say nothing about a style
MAJORITY = 0.6


class Layout(NamedTuple):
    backend: tuple[str, ...] = ()     # folders, each ending in /
    frontend: tuple[str, ...] = ()
    manifests: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()        # documentation patterns: /*.md, docs/
    folders: tuple[str, ...] = ()     # every folder at the root and in the workspace folders

    def __bool__(self) -> bool:
        return bool(self.backend or self.frontend)


class StyleGuess(NamedTuple):
    style: str | None                 # None: no style has a majority
    counts: dict[str, int]            # style → commits whose header follows it
    total: int                        # commits read (merges and bots left out)


def detect_layout(git: Git, rev: str = "HEAD") -> Layout:
    backend: list[str] = []
    frontend: list[str] = []
    root = git.tree_entries(rev)
    folders = [name for kind, name in root if kind == "tree"]
    every = [name + "/" for name in folders]
    for name in folders:
        _place(name, name, backend, frontend)
    for group in WORKSPACES:
        if group in folders:
            for kind, name in git.tree_entries(rev, group):
                if kind == "tree":
                    every.append(f"{group}/{name}/")
                    _place(name, f"{group}/{name}", backend, frontend)
    files = {name for kind, name in root if kind == "blob"}
    docs = (("/*.md",) if any(f.lower().endswith(".md") for f in files) else ()) + \
        (("docs/",) if "docs" in folders else ())
    if not backend and not frontend:
        return Layout(docs=docs, folders=tuple(every))
    return Layout(tuple(backend), tuple(frontend),
                  tuple(m for m in MANIFESTS if m in files), docs, tuple(every))


def unassigned(layout: Layout, roles: dict) -> list[str]:
    """The folders no role owns (after the layout's role files): work there is "unowned" for
    every agent until the team assigns it."""
    from guard.patterns import PatternSet

    sets = [(PatternSet(r.owned), PatternSet(r.forbidden)) for r in roles.values()]
    out = []
    for folder in layout.folders:
        if folder.rstrip("/") in WORKSPACES or folder in layout.docs:
            continue                     # judged by its subfolders; documentation is shared
        probe = folder + "index"
        if not any(owned.decide(probe) and not forbidden.decide(probe)
                   for owned, forbidden in sets):
            out.append(folder)
    return out


def _place(name: str, path: str, backend: list[str], frontend: list[str]) -> None:
    if name in BACKEND_NAMES:
        backend.append(path + "/")
    elif name in FRONTEND_NAMES:
        frontend.append(path + "/")


def _flow(paths) -> str:
    """A YAML flow list; patterns YAML would read as something else (`!x` is a tag) quoted."""
    import re
    return "[" + ", ".join(p if re.fullmatch(r"[A-Za-z0-9_./-]+", p) else f'"{p}"'
                           for p in paths) + "]"


def _is_bot(commit: Commit) -> bool:
    return commit.author.endswith("[bot]") or "[bot]@" in commit.email


def detect_commit_style(git: Git, rev: str = "HEAD") -> StyleGuess:
    from guard.checks.commits import lint_message
    from guard.checks.commits_spec import CommitSettings

    commits = [c for c in git.recent(rev, HISTORY) if len(c.parents) <= 1 and not _is_bot(c)]
    counts: dict[str, int] = {}
    for style in ("conventional", "gitmoji"):
        settings = CommitSettings(style=style)
        counts[style] = sum(
            1 for c in commits
            if not any(p.rule == "COMMIT001" for p in lint_message(c.header, settings)))
    total = len(commits)
    style = None
    if total >= MIN_HISTORY:
        best = max(counts, key=lambda s: counts[s])
        if counts[best] >= MAJORITY * total:
            style = best
    return StyleGuess(style, counts, total)


def role_files(layout: Layout) -> dict[str, str]:
    """role name → the text of .guard/roles/<role>.yaml extending the built-in pack with the
    repository's own folders."""
    if not layout:
        return {}
    head = ("# Written by `guard init`: this repository's own folders on top of the built-in\n"
            "# {role} pack (`guard explain PATH` shows which pattern decides a path). Edit it\n"
            "# freely; guard reads it from the base branch, like company.config.yaml.\n"
            "name: {role}\nextends: {role}\n")
    shared = ""
    if layout.manifests:
        shared = ("shared:\n  - note: workspace manifests and lock files both sides change\n"
                  f"    paths: {_flow(layout.manifests)}\n")
    out = {}
    sides = (("backend", layout.backend, "Backend Engineer's domain"),
             ("frontend", layout.frontend, "Frontend Engineer's domain"))
    for role, mine, _ in sides:
        if not mine:
            continue
        text = head.format(role=role)
        text += f"owned:\n  - note: the {role} application\n    paths: {_flow(mine)}\n"
        others = [(owner, paths, note) for owner, paths, note in sides
                  if owner != role and paths]
        if others:
            text += "forbidden:\n"
            for owner, paths, note in others:
                text += (f"  - owner: {owner}\n    note: {note}\n"
                         f"    paths: {_flow(paths)}\n")
        out[role] = text + shared
    # devops: the application folders are the others' domains, but the container files in
    # them stay devops' own (the devops pack owns Dockerfile wherever it is)
    text = head.format(role="devops") + "forbidden:\n"
    for owner, paths, note in sides:
        if paths:
            text += f"  - owner: {owner}\n    note: {note}\n    paths: {_flow(paths)}\n"
    text += ("  - note: container files inside the application folders are DevOps' own\n"
             f"    paths: {_flow('!' + p for p in CONTAINER_FILES)}\n")
    out["devops"] = text
    return out
