"""Every question guard asks git goes through this module.

Rules kept here:
- argv lists only, never a shell: file names reach git and come back untouched;
- NUL-separated output (-z) and one splitter, so names with spaces, quotes, newlines or
  non-UTF-8 bytes survive (decoded with surrogateescape and re-encoded the same way);
- --no-ext-diff / --no-textconv so a user's diff drivers can neither run nor change output;
- typed errors: each way of not having what we need (not a repository, empty repository,
  missing ref, shallow clone, detached HEAD) is a GuardError with its own next step.
"""

import os
import re
import stat
import subprocess
from typing import Callable, Iterable, NamedTuple, Sequence

from guard.errors import GuardError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_SHA = "0" * 40

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def encode_path(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


_STATUS_WORDS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied",
                 "T": "type changed"}


class Change(NamedTuple):
    """One entry of a diff. ``path`` is the new path (the old one for deletions).

    A NamedTuple: immutable, and cheap to build for a 20,000-file change."""

    status: str              # A M D R C T (X/U never expected)
    path: str
    old_path: str | None     # set for R and C
    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    score: int | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change touches: both ends of a rename."""
        if self.status == "R" and self.old_path is not None:
            return (self.old_path, self.path)
        return (self.path,)

    @property
    def kind(self) -> str:
        old, new = self.old_mode, self.new_mode
        if old == MODE_SUBMODULE or new == MODE_SUBMODULE:
            return "submodule"
        if old == MODE_SYMLINK or new == MODE_SYMLINK:
            return "symlink"
        return "file"

    @property
    def describe(self) -> str:
        word = _STATUS_WORDS.get(self.status, self.status)
        if self.status == "M":
            if self.old_mode != self.new_mode and self.old_sha == self.new_sha:
                word = f"mode changed {self.old_mode}→{self.new_mode}"
            if self.kind == "submodule":
                word = "submodule pointer moved"
        if self.old_path and self.status in "RC":
            return f"{word} from {self.old_path}"
        return word


class Commit(NamedTuple):
    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str
    message: str

    @property
    def header(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def body(self) -> str:
        parts = self.message.split("\n", 1)
        return parts[1].strip("\n") if len(parts) > 1 else ""

    @property
    def short(self) -> str:
        return self.sha[:8]


class Git:
    """A repository, addressed by its top-level folder."""

    head_ref: str | None = None     # HEAD's full ref (`refs/heads/x`, `HEAD`), when probe knows
    git_dirs: tuple[str, ...] = ()  # the git folder and the common one, when probe knows

    def __init__(self, root: str) -> None:
        self.root = root

    # -- plumbing -------------------------------------------------------------------------
    def run(self, args: Sequence[str], *, check: bool = True, stdin: bytes | None = None,
            ok_codes: Iterable[int] = (0,)) -> subprocess.CompletedProcess:
        return run_git(args, cwd=self.root, check=check, stdin=stdin, ok_codes=ok_codes)

    def out(self, args: Sequence[str]) -> str:
        return _decode(self.run(args).stdout).rstrip("\n")

    # -- refs -----------------------------------------------------------------------------
    def has_commits(self) -> bool:
        return self.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                        check=False).returncode == 0

    def resolve(self, ref: str, *, what: str = "ref") -> str:
        if ref.startswith("-"):
            raise GuardError(f"{what} {ref!r} looks like an option, not a git revision",
                             hint=f"pass a branch, tag or commit as the {what}")
        sha = self.try_resolve(ref)
        if sha is None:
            raise GuardError(
                f"{what} {ref!r} does not name a commit in this repository",
                hint=("fetch it first (e.g. `git fetch origin main`) or pass an existing "
                      f"branch, tag or commit with --{what}"))
        return sha

    def try_resolve(self, ref: str) -> str | None:
        known = self.__dict__.get("_resolved", {})
        if ref in known:                 # answered by read_at in this run
            return known[ref]
        # no --quiet: it would also silence git's warning that the name is ambiguous
        proc = self.run(["rev-parse", "--verify", "--end-of-options",
                         f"{self.full_ref(ref)}^{{commit}}"], check=False)
        if proc.returncode != 0:
            return None
        _refuse_ambiguous(ref, proc.stderr)
        return _decode(proc.stdout).strip()

    def pin(self, name: str, full: str) -> str:
        """Remember that ``name``, a short name guard worked out for a branch (`origin/main`,
        `main`), means the ref ``full``: try_resolve and read_at then ask git for ``full``,
        so a tag of the same name (which git's lookup would pick first) cannot stand in
        for the branch. Returns ``name``."""
        self.__dict__.setdefault("_pinned", {})[name] = full
        return name

    def full_ref(self, name: str) -> str:
        """What git is asked for ``name``: its pinned full ref, else the name itself."""
        return self.__dict__.get("_pinned", {}).get(name, name)

    def current_branch(self) -> str | None:
        if "_branch" in self.__dict__:   # answered by probe
            return self._branch
        proc = self.run(["symbolic-ref", "--quiet", "HEAD"], check=False)
        return _branch_name(_decode(proc.stdout).strip()) if proc.returncode == 0 else None

    def upstream(self, *, unless_named: str | None = None) -> str | None:
        """The current branch's upstream, shortened (`origin/main`); None when it has none or
        its remote-tracking branch does not exist. With ``unless_named``, also None when the
        upstream's name after the remote is that (the branch itself, pushed): then the
        listing started by prefetch_refs may answer without another git call."""
        listed = self._listed_upstream() if unless_named else None
        if listed is not None:
            configured, short = listed
            if not configured:
                return None          # no upstream: @{upstream} names nothing either
            if short.split("/", 1)[-1] == unless_named:
                return None          # the same name, whether or not it was fetched
        proc = self.run(["rev-parse", "--symbolic-full-name", "@{upstream}"], check=False)
        full = _decode(proc.stdout).strip() if proc.returncode == 0 else ""
        found = _short_branch(full)
        if found is None:
            return None
        if unless_named and found.split("/", 1)[-1] == unless_named:
            return None
        return self.pin(found, full)

    def default_branch(self) -> str | None:
        """origin/HEAD if the clone knows it, else the first of init.defaultBranch, main,
        master, trunk and develop found as a remote-tracking branch of origin, else the first
        found as a local branch."""
        code, value = self.config_get("init.defaultBranch")
        names = [value.strip()] if code == 0 and value is not None else []
        names = [n for n in dict.fromkeys(names + list(DEFAULT_BRANCHES)) if n]
        found = self._ref_listing(names)
        target = found.get("refs/remotes/origin/HEAD")
        target = target[0] if target else None
        if target and target.startswith("refs/remotes/"):
            return self.pin(target[len("refs/remotes/"):], target)
        # origin's branches before any local one: a local branch (and init.defaultBranch)
        # is what an agent with a shell moves in one command; origin's copy only a fetch moves
        for ref, short in [(f"refs/remotes/origin/{n}", f"origin/{n}") for n in names] + \
                [(f"refs/heads/{n}", n) for n in names]:
            if ref in found and found[ref][1] == "commit":
                return self.pin(short, ref)
        return None

    # what the hooks ask first, in as few git processes as the answers allow: a listing of
    # the refs default_branch and upstream read, and the settings they and the Stop hook read,
    # started in the background as soon as the repository is known
    def prefetch_refs(self, branch_ref: str | None = None) -> None:
        """Start the for-each-ref listing default_branch reads (the usual candidates; a
        configured init.defaultBranch outside them is listed when it is known) and, for
        ``branch_ref`` (HEAD's full ref, `refs/heads/...`), its upstream."""
        if "_refs_job" in self.__dict__:
            return
        refs = _candidate_refs(DEFAULT_BRANCHES, with_origin_head=True)
        if branch_ref and branch_ref.startswith("refs/heads/"):
            refs.append(branch_ref)
        self._refs_job = (Piped(_REFS_ARGS + ["--", *refs], cwd=self.root),
                          set(DEFAULT_BRANCHES), branch_ref)

    def _collect_refs(self) -> dict[str, tuple[str, str, str, str]] | None:
        job = self.__dict__.get("_refs_job")
        if job is None:
            return None
        pending, names, branch_ref = job
        if not isinstance(pending, dict):
            pending = _parse_refs(pending.collect(check=False).stdout)
            self._refs_job = (pending, names, branch_ref)
        return pending

    def _listed_upstream(self) -> tuple[str, str] | None:
        """(the configured upstream ref, shortened) of the branch prefetch_refs listed."""
        found = self._collect_refs()
        branch_ref = self._refs_job[2] if found is not None else None
        if not branch_ref or branch_ref not in found:
            return None
        _symref, _kind, upstream, short = found[branch_ref]
        return upstream, short

    def _ref_listing(self, names: list[str]) -> dict[str, tuple[str, str, str, str]]:
        """refname -> (symref target, object type, upstream, upstream shortened) for
        refs/remotes/origin/HEAD and each name as origin's and as a local branch."""
        found = self._collect_refs()
        if found is None:
            proc = self.run(_REFS_ARGS + ["--", *_candidate_refs(names, with_origin_head=True)],
                            check=False)
            return _parse_refs(proc.stdout)
        missing = [n for n in names if n not in self._refs_job[1]]
        if missing:                     # a configured name the prefetch did not know
            proc = self.run(_REFS_ARGS + ["--", *_candidate_refs(missing)], check=False)
            found = dict(found)
            found.update(_parse_refs(proc.stdout))
        return found

    def prefetch_config(self, keys: Sequence[str]) -> None:
        """Start one `git config` for the values config_get will be asked (`init.defaultBranch`,
        `diff.orderFile`...): plain section.name keys."""
        memo = self.__dict__.setdefault("_config_memo", {})
        todo = [k.lower() for k in keys if k.lower() not in memo]
        if not todo:
            return
        pattern = "^(" + "|".join(re.escape(k) for k in todo) + ")$"
        job = [Piped(["config", "-z", "--get-regexp", pattern], cwd=self.root), todo]
        for key in todo:
            memo[key] = job

    def config_get(self, key: str) -> tuple[int, str | None]:
        """(exit code, value) as `git config --get KEY` answers: 0 and the last value, 1 when
        the key is not set, another code when git fails."""
        job = self.__dict__.get("_config_memo", {}).get(key.lower())
        if job is None:
            proc = self.run(["config", "--get", key], check=False)
            text = _decode(proc.stdout)
            return proc.returncode, (text[:-1] if text.endswith("\n") else text) \
                if proc.returncode == 0 else None
        if isinstance(job[0], Piped):
            proc = job[0].collect(check=False)
            values: dict[str, str] = {}
            for record in _decode(proc.stdout).split("\0"):
                if record:
                    name, _, value = record.partition("\n")
                    values[name] = value              # the last value wins, as with --get
            job[0] = (proc.returncode, values)
        code, values = job[0]
        if code not in (0, 1):
            return code, None
        value = values.get(key.lower())
        return (0, value) if value is not None else (1, None)

    def merge_head(self) -> str | None:
        """The commit a merge in progress brings in: the first id in the MERGE_HEAD file
        (`rev-parse --git-path` finds it, in a linked work tree too); None when no merge is
        in progress. Not git's name lookup, which a tag or branch named MERGE_HEAD answers
        when there is no such file."""
        path = self.out(["rev-parse", "--git-path", "MERGE_HEAD"])
        try:
            with open(os.path.join(self.root, path), encoding="ascii") as fh:
                first = fh.readline().strip()
        except (OSError, UnicodeDecodeError):
            return None
        if len(first) in (40, 64) and not first.strip("0123456789abcdef"):
            return first
        return None

    def ignored(self, paths: Sequence[str]) -> set[str]:
        """Those of ``paths`` git ignores (a tracked path is never ignored). First asked
        without the index, which a 100,000-file repository takes ~25 ms to read: a path
        the ignore rules alone do not match is not ignored, whatever the index holds;
        only the paths they do match are asked again with the index. An error answers
        "none ignored" (the caller then holds the path)."""
        def ask(args: list[str], names: Sequence[str]) -> set[str]:
            if not names:
                return set()
            proc = self.run(["check-ignore", *args, "-z", "--stdin"], check=False,
                            ok_codes=(0, 1),
                            stdin=b"".join(encode_path(p) + b"\0" for p in names))
            if proc.returncode not in (0, 1):
                return set()
            return {_decode(p) for p in proc.stdout.split(b"\0") if p}

        by_rules = ask(["--no-index"], paths)
        return ask([], sorted(by_rules))

    def is_shallow(self) -> bool:
        return self.out(["rev-parse", "--is-shallow-repository"]) == "true"

    def merge_base(self, base: str, head: str) -> str:
        proc = self.run(["merge-base", base, head], check=False)
        if proc.returncode == 0:
            return _decode(proc.stdout).split()[0]
        if self.is_shallow():
            raise GuardError(
                f"shallow clone: the merge base of {base[:12]} and {head[:12]} is not in the "
                "fetched history, so the changed range cannot be computed",
                hint=("fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in "
                      "actions/checkout, or GIT_DEPTH: 0 in GitLab CI)"))
        raise GuardError(
            f"{base[:12]} and {head[:12]} share no history (no merge base)",
            hint="pass the branch this work started from with --base")

    # -- content --------------------------------------------------------------------------
    def read_at(self, ref: str, files: Sequence[str] = (), folders: Sequence[str] = (), *,
                also: Sequence[str] = (), blobs: Sequence[tuple[str, str]] = ()) -> str | None:
        """try_resolve(ref), asked in one `git cat-file --batch` together with what
        read_blob answers at that commit for ``files``, what ls_files answers there for
        ``folders`` (when a folder holds no sub-folder), try_resolve for each of ``also`` and
        read_blob for each (rev, path) of ``blobs``: all remembered for this run, so those
        calls start no git later. git resolves each name as rev-parse does (a pinned name by
        its full ref); a name git finds ambiguous, or the batch cannot carry: the single
        calls instead."""
        asked = self.full_ref(ref)
        names = [f"{asked}^{{commit}}"] + [f"{asked}^{{commit}}:{f}" for f in files]
        plain = [d.rstrip("/") for d in folders]
        if any(not d or d.startswith(":") or {"", ".", ".."} & set(d.split("/"))
               for d in plain):
            plain = []
        for folder in plain:
            names += [f"{asked}^{{commit}}:{folder.rpartition('/')[0]}",
                      f"{asked}^{{commit}}:{folder}"]
        names += [f"{self.full_ref(a)}^{{commit}}" for a in also] + \
            [f"{r}:{p}" for r, p in blobs]
        resolved = self.__dict__.setdefault("_resolved", {})
        got = None
        if not any(n.startswith("-") or "\n" in n or "\r" in n or "\0" in n for n in names):
            proc = self.run(["cat-file", "--batch", "--buffer"], check=False,
                            stdin="".join(n + "\n" for n in names)
                            .encode("utf-8", "surrogateescape"))
            try:
                # an ambiguous name: the single calls, which refuse it
                got = iter(_parse_batch_records(proc.stdout, len(names))) \
                    if proc.returncode == 0 and _AMBIGUOUS not in proc.stderr else None
            except ValueError:
                got = None
        if got is None:
            resolved.pop(ref, None)
            resolved[ref] = self.try_resolve(ref)
            return resolved[ref]
        blob_memo = self.__dict__.setdefault("_blob_memo", {})
        commit = next(got)
        sha = resolved[ref] = commit[0] if commit and commit[1] == "commit" else None
        for path in files:
            found = next(got)
            if sha:
                blob_memo[(sha, path)] = found[2] if found and found[1] == "blob" else None
        for folder in plain:
            parent, listed = next(got), next(got)
            if sha:
                listing = _one_level(folder, parent, listed, len(sha) // 2)
                if listing is not None:
                    self.__dict__.setdefault("_list_memo", {})[(sha, folder)] = listing
        for name in also:
            found = next(got)
            resolved[name] = found[0] if found and found[1] == "commit" else None
        for key in blobs:
            found = next(got)
            blob_memo[key] = found[2] if found and found[1] == "blob" else None
        return sha

    def read_blob(self, rev: str, path: str) -> bytes | None:
        """Content of ``path`` at ``rev`` (None when absent). ``rev`` None = working tree,
        ``":"`` = the index."""
        known = self.__dict__.get("_blob_memo", {})
        if (rev, path) in known:         # answered by read_at in this run
            return known[(rev, path)]
        spec = f"{rev}:{path}" if rev != ":" else f":{path}"
        proc = self.run(["cat-file", "blob", spec], check=False)
        return proc.stdout if proc.returncode == 0 else None

    def read_blobs_at(self, rev: str, paths: Sequence[str]) -> dict[str, bytes | None]:
        """read_blob(rev, path) for each of ``paths``, from one `git cat-file --batch` (what
        read_at already answered is not asked again)."""
        known = self.__dict__.get("_blob_memo", {})
        out = {p: known[(rev, p)] for p in paths if (rev, p) in known}
        todo = [p for p in dict.fromkeys(paths) if p not in out]
        if len(todo) == 1 or any("\n" in p or "\r" in p or "\0" in p for p in todo) \
                or rev.startswith("-") or "\n" in rev or "\r" in rev:
            return {**out, **{p: self.read_blob(rev, p) for p in todo}}
        if todo:
            spec = f"{rev}:" if rev != ":" else ":"
            proc = self.run(["cat-file", "--batch", "--buffer"], check=False,
                            stdin="".join(f"{spec}{p}\n" for p in todo)
                            .encode("utf-8", "surrogateescape"))
            try:
                got = _parse_batch_records(proc.stdout, len(todo))
            except ValueError:
                got = None
            if proc.returncode != 0 or got is None:
                return {**out, **{p: self.read_blob(rev, p) for p in todo}}
            for path, found in zip(todo, got):
                out[path] = found[2] if found and found[1] == "blob" else None
        return out

    def read_blobs(self, shas: Sequence[str]) -> dict[str, bytes]:
        """Batch read of blob contents by object id (one process for all). --buffer: every
        id is on stdin at once, so git need not flush its output after each object. What
        prefetch_blobs read is answered from there; git is asked only for the rest."""
        if not shas:
            return {}
        asked, known = self._prefetched_blobs()
        if asked:
            out = {s: known[s] for s in shas if s in known}
            shas = [s for s in dict.fromkeys(shas) if s not in asked]
            if not shas:
                return out
        else:
            out = {}
        proc = self.run(["cat-file", "--batch", "--buffer"],
                        stdin=b"".join(s.encode() + b"\n" for s in shas))
        out.update(parse_batch(shas, proc.stdout))
        return out

    def prefetch_blobs(self, shas: Sequence[str]) -> None:
        """Start reading these blobs (one `git cat-file --batch` in the background): the
        Stop hook reads what its checks will ask for a small change (the scope check's
        import boundary, the conventions check and the migrations check each read changed
        files) in one process instead of one each. Object id 0 is never asked (git has no
        such object)."""
        shas = [s for s in dict.fromkeys(shas) if s and s != ZERO_SHA]
        if shas and "_blob_prefetch" not in self.__dict__ and "_blob_done" not in self.__dict__:
            self.__dict__["_blob_prefetch"] = (shas, self.start_read_blobs(shas))

    def blobs_prefetched(self) -> bool:
        """Has prefetch_blobs started (or finished) a read that read_blobs answers from?"""
        return "_blob_prefetch" in self.__dict__ or "_blob_done" in self.__dict__

    def _prefetched_blobs(self) -> tuple[set[str], dict[str, bytes]]:
        """(ids asked, id -> content of those git has) of prefetch_blobs; nothing if it
        failed (then read_blobs asks git again, and reports its error as ever)."""
        done = self.__dict__.get("_blob_done")
        if done is None:
            pending = self.__dict__.pop("_blob_prefetch", None)
            done = (set(), {})
            if pending is not None:
                shas, job = pending
                try:
                    done = ({ZERO_SHA, *shas}, parse_batch(shas, job.result()))
                except (GuardError, ValueError):
                    pass
                self.__dict__["_blob_done"] = done
        return done

    def start_read_blobs(self, shas: Sequence[str]) -> "Background":
        """read_blobs in the background: ``parse_batch(shas, pending.result())``."""
        return Background(["cat-file", "--batch", "--buffer"], cwd=self.root,
                          stdin=b"".join(s.encode() + b"\n" for s in shas))

    def start_check_blobs(self, shas: Sequence[str]) -> "Background":
        """`git cat-file --batch-check` in the background: `<id> <type> <size>` lines."""
        return Background(["cat-file", "--batch-check", "--buffer"], cwd=self.root,
                          stdin=b"".join(s.encode() + b"\n" for s in shas))

    def added_lines(self, old_blob: str, new_blob: str) -> list[int]:
        """1-based line numbers of ``new_blob`` that the diff from ``old_blob`` adds. Blob
        ids, not paths, so no file name reaches git; -U0 leaves only hunk headers to parse."""
        proc = self.run(["diff", "--no-ext-diff", "--no-textconv", "--no-color", "-U0",
                         old_blob, new_blob])
        lines: list[int] = []
        for header in re.findall(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", proc.stdout,
                                 re.M):
            start, count = int(header[0]), int(header[1] or 1)
            lines.extend(range(start, start + count))
        return lines

    def ls_files(self, rev: str, folder: str) -> list[str]:
        known = self.__dict__.get("_list_memo", {}).get((rev, folder.rstrip("/")))
        if known is not None:            # answered by read_at in this run
            return list(known)
        proc = self.run(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, "--",
                         folder.rstrip("/") or "."], check=False)
        if proc.returncode != 0:
            return []
        return [_decode(p) for p in proc.stdout.split(b"\0") if p]

    def tree_blobs(self, rev: str, folders: Sequence[str] = (),
                   names: Sequence[str] = ()) -> dict[str, str]:
        """path → blob id of every regular file at ``rev`` (``"INDEX"``: the staged tree),
        optionally only under ``folders``, or (instead) only the paths matching the git
        wildcard pathspecs ``names`` (`*` matches across `/`). One process, NUL-separated.
        A listing started by prefetch_tree_blobs with the same arguments is collected."""
        memo = self.__dict__.setdefault("_tree_memo", {})
        key = (rev, tuple(folders), tuple(names))
        known = memo.get(key)
        if isinstance(known, dict):
            return dict(known)
        proc = known.collect(check=False) if known is not None else \
            self.run(self._tree_args(rev, folders, names), check=False)
        if known is not None:
            memo[key] = self._parse_tree(proc, rev, names)
            return dict(memo[key])
        return self._parse_tree(proc, rev, names)

    @staticmethod
    def _parse_tree(proc, rev: str, names: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        if proc.returncode != 0:
            return out
        if names and rev != "INDEX":   # diff-tree from the empty tree: `:000000 mode 0 sha A`
            parts = proc.stdout.split(b"\0")
            for i in range(0, len(parts) - 1, 2):
                fields = parts[i].split()
                if len(fields) >= 4 and fields[1].startswith(b"100"):
                    out[_decode(parts[i + 1])] = fields[3].decode()
            return out
        for rec in proc.stdout.split(b"\0"):
            if not rec:
                continue
            meta, _, path = rec.partition(b"\t")
            fields = meta.split()
            if rev == "INDEX":   # <mode> <sha> <stage>
                mode, sha = fields[0], fields[1]
            else:                # <mode> <type> <sha>
                mode, sha = fields[0], fields[2]
            if mode.startswith(b"100"):
                out[_decode(path)] = sha.decode()
        return out

    def symlinks_at(self, rev: str) -> dict[str, str]:
        """path → blob id (the link's target text) of every symlink at ``rev`` (``"INDEX"``:
        the staged tree). One listing of the whole tree, NUL-separated."""
        proc = self.run(self._tree_args(rev, (), ()), check=False)
        out: dict[str, str] = {}
        if proc.returncode != 0:
            return out
        mode_bytes = MODE_SYMLINK.encode()
        for rec in proc.stdout.split(b"\0"):
            if not rec.startswith(mode_bytes):
                continue
            meta, _, path = rec.partition(b"\t")
            fields = meta.split()
            out[_decode(path)] = (fields[1] if rev == "INDEX" else fields[2]).decode()
        return out

    def blobs_at(self, files: dict[str, str]) -> dict[str, bytes]:
        """Contents of ``files`` (path → blob id), keyed by path.

        Blobs that are still loose objects (committed, not yet packed: a branch just
        written) cost git a file open and an inflate each, ~40 µs, which for thousands of
        files is most of a check's time. A work-tree file whose bytes hash to the blob id
        *is* that blob, so for loose blobs the work tree is tried first and only what does
        not match (edited, filtered, missing, a symlink, not a regular file) is read from
        git. The object id check makes this exact whatever state the work tree is in."""
        out: dict[str, bytes] = {}
        rest = files
        if files and self._loose(next(iter(files.values()))):
            out, rest = self._worktree_blobs(files)
        if rest:
            got = self.read_blobs(list(dict.fromkeys(rest.values())))
            for path, sha in rest.items():
                if sha in got:
                    out[path] = got[sha]
        return out

    def _objects_dir(self) -> str | None:
        """The object store, found without running git (.git folder, or the .git file of a
        linked work tree and its commondir); None when that is not plain."""
        if not hasattr(self, "_objects"):
            self._objects = None
            dotgit = os.path.join(self.root, ".git")
            try:
                if os.path.isdir(dotgit):
                    gitdir = dotgit
                else:
                    with open(dotgit, encoding="utf-8") as fh:
                        line = fh.read(4096).strip()
                    if not line.startswith("gitdir: "):
                        return None
                    gitdir = os.path.join(self.root, line[len("gitdir: "):])
                common = gitdir
                if os.path.isfile(os.path.join(gitdir, "commondir")):
                    with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as fh:
                        common = os.path.join(gitdir, fh.read(4096).strip())
                if os.path.isdir(os.path.join(common, "objects")):
                    self._objects = os.path.join(common, "objects")
            except (OSError, UnicodeDecodeError):
                self._objects = None
        return self._objects

    def _loose(self, sha: str) -> bool:
        objects = self._objects_dir()
        return objects is not None and os.path.isfile(os.path.join(objects, sha[:2], sha[2:]))

    def _worktree_blobs(self, files: dict[str, str], limit: int = 1 << 22,
                        ) -> tuple[dict[str, bytes], dict[str, str]]:
        """(path → content of the work-tree files whose bytes are their blob, path → blob
        id of the others). One loop with its names bound once: it runs per file, for
        thousands of files (the path is a git path: relative, so ``prefix + path`` is
        os.path.join)."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        prefix = os.path.join(self.root, "")
        open_, fstat, read, close, is_reg = os.open, os.fstat, os.read, os.close, stat.S_ISREG
        sha1 = _sha1()
        found: dict[str, bytes] = {}
        rest: dict[str, str] = {}
        for path, sha in files.items():
            try:
                fd = open_(prefix + path, flags)
            except (OSError, ValueError):
                rest[path] = sha
                continue
            data = None
            try:
                st = fstat(fd)
                if is_reg(st.st_mode) and st.st_size <= limit:
                    data = read(fd, st.st_size + 1)
                    if len(data) != st.st_size:
                        data = None
            except OSError:
                data = None
            finally:
                close(fd)
            if data is not None and (
                    sha1(b"blob %d\0" % len(data) + data).hexdigest() if len(sha) == 40
                    else _blob_id(data, len(sha))) == sha:
                found[path] = data
            else:
                rest[path] = sha
        return found, rest

    @staticmethod
    def _tree_args(rev: str, folders: Sequence[str], names: Sequence[str]) -> list[str]:
        spec = [f.rstrip("/") for f in folders if f.rstrip("/")] or ["."]
        if rev == "INDEX":
            return ["ls-files", "-s", "-z", "--", *(names or spec)]
        if names:
            # ls-tree takes no wildcards; a diff from the empty tree does, and git (not
            # Python) then drops the other 100,000 paths of a large tree
            return ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", EMPTY_TREE, rev,
                    "--", *names]
        return ["ls-tree", "-r", "-z", "--full-tree", rev, "--", *spec]

    def prefetch_tree_blobs(self, rev: str, folders: Sequence[str] = (),
                            names: Sequence[str] = ()) -> None:
        """Start tree_blobs' listing in the background; tree_blobs collects it (and keeps
        the answer for this run)."""
        memo = self.__dict__.setdefault("_tree_memo", {})
        key = (rev, tuple(folders), tuple(names))
        if key not in memo:
            memo[key] = Background(self._tree_args(rev, folders, names), cwd=self.root)

    def remember_tree_blobs(self, rev: str, folders: Sequence[str], names: Sequence[str],
                            tree: dict[str, str]) -> None:
        """What tree_blobs(rev, folders, names) answers in this run, worked out by the
        caller (a superset of the matching files is fine where ``names`` is)."""
        self.__dict__.setdefault("_tree_memo", {})[(rev, tuple(folders), tuple(names))] = \
            dict(tree)

    def last_commit_touching(self, rev_range: str, path: str) -> str | None:
        """The newest commit of ``rev_range`` that changed ``path`` (None if none did)."""
        # `:(literal)`: a path is a file name here, not a pattern (`a[1].sql` would match
        # `a1.sql`, and the finding would name another file's commit)
        proc = self.run(["log", "-1", "--format=%H", rev_range, "--", f":(literal){path}"],
                        check=False)
        sha = _decode(proc.stdout).strip()
        return sha or None

    def export_tree(self, rev: str, dest: str) -> None:
        """Write the files of commit ``rev`` into the folder ``dest``, as committed: from
        ls-tree and one cat-file, never git archive or a checkout, which honour the
        commit's own .gitattributes (`export-ignore` would drop the files the branch wants
        unseen, filters and eol would rewrite them). The repository's index and work tree
        are untouched; a symlink is written only when it points inside ``dest``;
        submodules are left out. Iterative: any depth of folders."""
        from guard.fsutil import make_dirs

        proc = self.run(["ls-tree", "-r", "-z", "--full-tree", rev])
        files: list[tuple[str, str, str]] = []
        for rec in proc.stdout.split(b"\0"):
            if not rec:
                continue
            meta, _, path = rec.partition(b"\t")
            mode, kind, sha = meta.split()[:3]
            if kind != b"blob":
                continue
            rel = _decode(path)
            parts = rel.split("/")
            if any(p in ("", ".", "..") for p in parts) or ".git" in (p.lower() for p in parts):
                continue
            files.append((mode.decode(), sha.decode(), rel))
        blobs = self.read_blobs(sorted({sha for _m, sha, _p in files}))
        root = os.path.realpath(dest)
        for mode, sha, rel in files:
            full = os.path.join(root, *rel.split("/"))
            make_dirs(os.path.dirname(full))
            data = blobs.get(sha, b"")
            if mode == "120000":
                target = os.path.normpath(os.path.join(os.path.dirname(full),
                                                       os.fsdecode(data)))
                if target == root or target.startswith(root + os.sep):
                    os.symlink(os.fsdecode(data), full)
                continue
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(full, flags, 0o755 if mode == "100755" else 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)

    # -- diffs ----------------------------------------------------------------------------
    @staticmethod
    def _diff_args(old: str, new: str | None, cached: bool) -> list[str]:
        # --raw: modes and object ids, so type, mode, symlink and submodule changes are seen;
        # -M: renames (both ends are checked); --no-abbrev: full ids for cat-file;
        # --no-ext-diff/--no-textconv: no user program runs inside guard's diff.
        args = ["diff", "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", "--no-textconv",
                "--ignore-submodules=none"]
        if cached:
            args.append("--cached")
        args.append(old)
        if new is not None:
            args.append(new)
        args.append("--")
        return args

    def diff(self, old: str, new: str | None, *, cached: bool = False) -> list[Change]:
        return parse_raw_diff(self.run(self._diff_args(old, new, cached)).stdout)

    def diff_later(self, old: str, new: str | None, *,
                   cached: bool = False) -> Callable[[], list[Change]]:
        """Start the diff now and return a function that waits for it: the caller does
        its own work (reading the policy) while git computes the diff on another core."""
        job = Background(self._diff_args(old, new, cached), cwd=self.root)
        return lambda: parse_raw_diff(job.collect().stdout)

    def log(self, rev_range: str, *, first_parent: bool = False) -> list[Commit]:
        return _parse_log(self.run(_log_args(rev_range, first_parent)).stdout)

    def recent(self, rev: str, count: int) -> list[Commit]:
        """The last ``count`` commits reachable from ``rev``, newest first (guard init reads
        the project's own commit style from them)."""
        args = _log_args(rev, False)
        return _parse_log(self.run(args[:1] + [f"--max-count={count}"] + args[1:]).stdout)

    def tree_entries(self, rev: str, folder: str = "") -> list[tuple[str, str]]:
        """(type, name) of each entry directly in ``folder`` at ``rev`` ("tree" for a folder,
        "blob" for a file); empty when the folder does not exist."""
        spec = f"{rev}:{folder.strip('/')}" if folder.strip("/") else f"{rev}^{{tree}}"
        proc = self.run(["ls-tree", "-z", spec], check=False)
        if proc.returncode != 0:
            return []
        out = []
        for entry in proc.stdout.split(b"\0"):
            if entry:
                meta, _, name = entry.partition(b"\t")
                out.append((meta.split()[1].decode(), _decode(name)))
        return out

    def log_later(self, rev_range: str) -> Callable[[], list[Commit]]:
        """Start log(rev_range) now; the function returned waits for it."""
        job = Background(_log_args(rev_range, False), cwd=self.root)
        return lambda: _parse_log(job.result())

    def files_per_commit(self, rev_range: str) -> dict[str, int]:
        """How many paths each commit of the range touches (first-parent diff for merges)."""
        return {sha: len(paths) for sha, paths in self.paths_per_commit(rev_range).items()}

    def paths_per_commit(self, rev_range: str) -> dict[str, list[str]]:
        """The paths each commit of the range touches (renames as delete + add; a merge: its
        diff against the first parent). One `git log` per range, remembered: the commits
        check and the report's file counts share it."""
        memo = self.__dict__.setdefault("_paths_memo", {})
        if isinstance(memo.get(rev_range), dict):
            return memo[rev_range]
        pending = memo.get(rev_range) or self.prefetch_paths(rev_range)
        stdout, stderr = pending.communicate()
        if pending.returncode != 0:
            err = _decode(stderr).strip().splitlines()
            raise GuardError(f"`git log --name-only` failed: {err[-1] if err else pending.returncode}",
                             hint="run the command by hand to see why")
        out: dict[str, list[str]] = {}
        current: list[str] = []
        for token in _decode(stdout).split("\0"):
            token = token.lstrip("\n")
            if token.startswith("\x01"):
                current = out[token[1:]] = []
            elif token:
                current.append(token)
        memo[rev_range] = out
        return out

    def remember_paths(self, rev_range: str, paths: dict[str, list[str]]) -> None:
        """What paths_per_commit(rev_range) would answer, from a diff the caller read."""
        self.__dict__.setdefault("_paths_memo", {})[rev_range] = paths

    def prefetch_paths(self, rev_range: str) -> subprocess.Popen:
        """Start the paths-per-commit `git log` in the background (it runs on another core
        while the caller works); paths_per_commit collects it."""
        memo = self.__dict__.setdefault("_paths_memo", {})
        if rev_range not in memo:
            # --diff-merges=first-parent (git 2.31+): merges diffed against their first
            # parent, without -m --first-parent's limiting of the walk to that chain
            memo[rev_range] = subprocess.Popen(
                ["git", "log", "-z", "--format=%x01%H", "--name-only",
                 "--diff-merges=first-parent", "--no-renames", rev_range, "--"],
                cwd=self.root, env=_git_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL)
        return memo[rev_range]

    def only_in(self, head: str, base: str) -> set[str]:
        """The commits reachable from head and not from base (`git rev-list head ^base`): one
        process answers "is X an ancestor of base?" for every X reachable from head."""
        return set(self.out(["rev-list", head, f"^{base}", "--"]).split())

    def is_ancestor(self, commit: str, of: str) -> bool:
        return self.run(["merge-base", "--is-ancestor", commit, of], check=False,
                        ok_codes=(0, 1)).returncode == 0

    def reflog_commits(self, ref: str) -> set[str]:
        """The commits made on ``ref`` (its reflog entries that `git commit` wrote)."""
        proc = self.run(["log", "-g", "--format=%H%x00%gs", ref, "--"], check=False)
        return {sha for sha, _, what in (line.partition("\0")
                                         for line in _decode(proc.stdout).splitlines())
                if what.startswith("commit")}

    def shallow_commits(self) -> set[str]:
        """Commits whose parents a shallow fetch cut off (the grafts in .git/shallow)."""
        if not self.is_shallow():
            return set()
        path = self.out(["rev-parse", "--git-path", "shallow"])
        try:
            with open(os.path.join(self.root, path), encoding="ascii") as fh:
                return {line.strip() for line in fh if line.strip()}
        except FileNotFoundError:
            return set()

    def trailers(self, rev_range: str, key: str) -> list[str]:
        proc = self.run(["log", "-z", f"--format=%(trailers:key={key},valueonly,separator=%x01)",
                         rev_range, "--"], check=False)
        values = []
        for rec in proc.stdout.split(b"\0"):
            values += [_decode(v).strip() for v in rec.split(b"\x01") if v.strip()]
        return values

    def untracked_as_changes(self, paths: Sequence[str] | None = None) -> list[Change]:
        """Untracked, not-ignored files of the working tree (or ``paths``, already listed),
        as additions."""
        if paths is None:
            proc = self.run(["ls-files", "--others", "--exclude-standard", "-z", "--full-name"])
            paths = [_decode(raw) for raw in proc.stdout.split(b"\0") if raw]
        out = []
        for path in paths:
            mode = MODE_SYMLINK if os.path.islink(os.path.join(self.root, path)) else "100644"
            out.append(Change("A", path, None, "000000", mode, ZERO_SHA, ZERO_SHA))
        return out

    def status_porcelain(self) -> list[tuple[str, str]]:
        known = self.__dict__.get("_status_memo")
        if known is not None:
            return list(known)
        proc = self.run(["status", "--porcelain=v1", "-z", "--untracked-files=all"])
        out, parts, i = [], proc.stdout.split(b"\0"), 0
        while i < len(parts):
            rec = parts[i]
            i += 1
            if not rec:
                continue
            code, path = _decode(rec[:2]), _decode(rec[3:])
            if code[0] in "RC":
                i += 1  # the origin path follows
            out.append((code, path))
        return out

    def remember_status(self, entries: Sequence[tuple[str, str]]) -> None:
        """What status_porcelain would answer, from a scan the caller already made."""
        self.__dict__["_status_memo"] = list(entries)

    # -- the working tree, scanned once (the agent Stop hook) ------------------------------
    def untracked_files(self, listed: Sequence[str]) -> list[str]:
        """`status --untracked-files=normal` lists a wholly untracked folder as `dir/`; this
        is the list `ls-files --others` gives (each file; a nested repository stays `dir/`),
        in git's order (by bytes). Only the folders are listed again."""
        folders = [p for p in listed if p.endswith("/")]
        files = [p for p in listed if not p.endswith("/")]
        if folders:
            args = ["ls-files", "--others", "--exclude-standard", "-z", "--full-name"]
            if len(folders) <= PATHSPEC_MAX:
                args += ["--", *(":(literal)" + f for f in folders)]
            else:            # too many to name: list everything once instead
                files = []
            proc = self.run(args)
            files += [_decode(raw) for raw in proc.stdout.split(b"\0") if raw]
        return sorted(files, key=encode_path)

    def diff_worktree(self, old: str, paths: Sequence[str]) -> list[Change]:
        """``diff(old, None)`` limited to ``paths`` (at least one): the same entries, renames
        included, whenever every path that differs between ``old`` and the working tree is
        among them. git then reads the index and looks at those files only."""
        if not paths:
            raise ValueError("diff_worktree needs at least one path")
        args = self._diff_args(old, None, False) + [":(literal)" + p for p in paths]
        return parse_raw_diff(self.run(args).stdout)


# the branches default_branch looks for, after a configured init.defaultBranch
DEFAULT_BRANCHES = ("main", "master", "trunk", "develop")

_REFS_ARGS = ["for-each-ref",
              "--format=%(refname)%00%(symref)%00%(objecttype)%00%(upstream)%00%(upstream:short)"]


def one_commit_paths(merge_base: str | None, head: str, commits: Sequence[Commit],
                     changes: Sequence[Change]) -> dict[str, list[str]] | None:
    """What Git.paths_per_commit(merge_base..head) answers when the range is one commit on
    the merge base, read from the range's diff ``changes`` instead of a second `git log`:
    that commit changes what the diff changes, both ends of a rename, in git's path order
    (byte order: diff.orderFile unset). None for any other range."""
    if not (len(commits) == 1 and commits[0].parents == (merge_base,)
            and commits[0].sha == head):
        return None
    paths = {c.path for c in changes} | {c.old_path for c in changes
                                         if c.status == "R" and c.old_path is not None}
    return {head: sorted(paths, key=lambda p: p.encode("utf-8", "surrogateescape"))}


def _candidate_refs(names: Iterable[str], with_origin_head: bool = False) -> list[str]:
    refs = ["refs/remotes/origin/HEAD"] if with_origin_head else []
    for name in names:
        refs += [f"refs/remotes/origin/{name}", f"refs/heads/{name}"]
    return refs


def _parse_refs(raw: bytes) -> dict[str, tuple[str, str, str, str]]:
    found = {}
    for line in _decode(raw).splitlines():
        fields = line.split("\0")
        if len(fields) == 5:
            found[fields[0]] = (fields[1], fields[2], fields[3], fields[4])
    return found


# a command line naming more paths than this lists everything instead (git matches each
# pathspec against each index entry; the kernel caps the argument list)
PATHSPEC_MAX = 1000


class StatusEntry(NamedTuple):
    """A tracked path that differs from HEAD, in the index or the working tree."""
    code: str                 # XY as `--porcelain=v1` writes it (" " = unchanged)
    path: str
    orig_path: str | None     # renamed or copied in the index: its path at HEAD
    submodule: bool
    index_sha: str            # the object id staged for ``path`` (ZERO_SHA: none, unmerged)
    head_mode: str | None     # the mode and object id at HEAD of ``orig_path or path``
    head_sha: str | None      # ("000000": not at HEAD; None: unmerged, stages instead)
    worktree_mode: str | None


class WorktreeStatus(NamedTuple):
    entries: list[StatusEntry]
    untracked: list[str]      # as --untracked-files=normal lists them (`dir/` = all of it)


# One scan of the working tree: index against HEAD, work tree against index, untracked files.
# --untracked-files=normal, the mode of a plain `git status`: git's untracked cache (when the
# index carries one, see README "Design notes") only serves the mode it was written in.
# --ignore-submodules=none: every submodule change is seen, as `diff --ignore-submodules=none`
# sees it.
STATUS_ARGS = ("status", "--porcelain=v2", "-z", "--untracked-files=normal",
               "--ignore-submodules=none")


def start_status(path: str) -> "Background":
    """STATUS_ARGS, started now at ``path`` (any folder of the work tree)."""
    return Background(STATUS_ARGS, cwd=path)


def parse_status_v2(raw: bytes) -> WorktreeStatus:
    """`git status --porcelain=v2 -z`: `1 XY sub mH mI mW hH hI path`, `2 XY sub mH mI mW hH
    hI Xscore path\0origPath`, `u XY sub m1 m2 m3 mW h1 h2 h3 path`, `? path`."""
    entries: list[StatusEntry] = []
    untracked: list[str] = []
    parts, i = raw.split(b"\0"), 0
    while i < len(parts):
        rec = parts[i]
        i += 1
        kind = rec[:1]
        if kind == b"?":
            untracked.append(_decode(rec[2:]))
        elif kind in (b"1", b"2", b"u"):
            fields = rec.split(b" ", {b"1": 8, b"2": 9, b"u": 10}[kind])
            code = _decode(fields[1]).replace(".", " ")
            orig = None
            if kind == b"2":
                orig = _decode(parts[i])
                i += 1
            merged = kind != b"u"
            entries.append(StatusEntry(code, _decode(fields[-1]), orig,
                                       not fields[2].startswith(b"N"),
                                       fields[7].decode() if merged else ZERO_SHA,
                                       fields[3].decode() if merged else None,
                                       fields[6].decode() if merged else None,
                                       fields[5 if merged else 6].decode()))
    return WorktreeStatus(entries, untracked)


def parse_raw_diff(raw: bytes) -> list[Change]:
    """`git diff --raw -z` output: `:oldmode newmode oldsha newsha STATUS\0path\0[path2\0]`.

    Decoded once as a whole (surrogateescape keeps non-UTF-8 names byte-exact)."""
    parts = raw.decode("utf-8", "surrogateescape").split("\0")
    changes: list[Change] = []
    append = changes.append
    i, end = 0, len(parts)
    while i < end:
        meta = parts[i]
        if not meta:
            i += 1
            continue
        old_mode, new_mode, old_sha, new_sha, status = meta[1:].split(" ", 4)
        letter = status[0]
        if letter in "RC":
            append(Change(letter, parts[i + 2], parts[i + 1], old_mode, new_mode, old_sha,
                          new_sha, int(status[1:]) if len(status) > 1 else None))
            i += 3
        else:
            append(Change(letter, parts[i + 1], None, old_mode, new_mode, old_sha, new_sha,
                          None))
            i += 2
    return changes


def _git_env(foreign: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if foreign:
        # Working on another repository (demo, tests) from inside a hook: inherited GIT_DIR,
        # GIT_INDEX_FILE, GIT_WORK_TREE would point git at the wrong repository.
        env = {k: v for k, v in env.items() if not k.startswith("GIT_")}
    for name in ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
                 "GIT_ICASE_PATHSPECS"):
        env.pop(name, None)         # guard's pathspecs mean what guard wrote
    env["LC_ALL"] = "C"             # stable messages to match on
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never take the index lock from a hook
    # the objects as committed: `git replace` (an ordinary command) and .git/info/grafts
    # could otherwise swap the base's policy or the branch's commits for others
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env["GIT_GRAFT_FILE"] = os.path.join(os.devnull, "no-grafts")
    env.pop("GIT_REPLACE_REF_BASE", None)
    env.pop("GIT_EXTERNAL_DIFF", None)
    # settings of the repository (which the agent can write) that change what git prints,
    # overridden for every git call as `git -c` would, after any the caller's environment
    # already passes this way (CI sets safe.directory so): log.showSignature prints each
    # signature's check into git log; i18n.logOutputEncoding re-encodes the messages
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    for key, value in _OVERRIDES:
        env[f"GIT_CONFIG_KEY_{count}"], env[f"GIT_CONFIG_VALUE_{count}"] = key, value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


_OVERRIDES = (("log.showSignature", "false"), ("i18n.logOutputEncoding", "UTF-8"))


def _blob_id(data: bytes, hex_len: int) -> str:
    """git's object id of a blob with content ``data`` (SHA-1, or SHA-256 repositories)."""
    header = b"blob %d\0" % len(data)
    if hex_len == 64:
        import hashlib
        return hashlib.sha256(header + data).hexdigest()
    return _sha1()(header + data).hexdigest()


def _sha1():
    try:
        from _sha1 import sha1          # CPython's own: no OpenSSL load (~3 ms) for this
    except ImportError:                 # pragma: no cover - other interpreters
        from hashlib import sha1
    return sha1


def run_git(args: Sequence[str], *, cwd: str, check: bool = True, stdin: bytes | None = None,
            ok_codes: Iterable[int] = (0,), foreign: bool = False) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                              env=_git_env(foreign), check=False)
    except FileNotFoundError:
        raise GuardError("git is not installed or not on PATH",
                         hint="install git and run guard again") from None
    if check and proc.returncode not in tuple(ok_codes):
        err = _decode(proc.stderr).strip().splitlines()
        raise GuardError(f"`git {' '.join(args[:3])}` failed: {err[-1] if err else proc.returncode}",
                         hint="run the command by hand to see why")
    return proc


# probe's question; the git folders too (a linked worktree's own and the main checkout's
# common one), which the hook holds like .git/ of the checkout
PROBE_ARGS = ("rev-parse", "--show-toplevel", "HEAD", "--symbolic-full-name", "HEAD",
              "--path-format=absolute", "--git-common-dir", "--git-dir")


def start_probe(path: str) -> "Background":
    """probe's git call, started now (the Stop hook imports its modules meanwhile)."""
    return Background(PROBE_ARGS, cwd=path)


def probe(path: str, started: "Background | None" = None) -> tuple[Git, str, str | None] | None:
    """One git call for a hook's hot path: (repository, HEAD commit, branch or None when
    detached). None when that is not simply answered (not a repository, no commit yet...);
    open_repo then says why. ``started``: that call, from start_probe(path).

    The same call answers Git.current_branch (HEAD's branch: its full ref without
    `refs/heads/`, never git's short form, which is `heads/x` when a tag `x` exists too) and
    keeps HEAD's full ref (``Git.head_ref``) for prefetch_refs."""
    if not os.path.isdir(path):
        if started is not None:
            started.close()
        return None
    proc = started.collect(check=False) if started is not None else \
        run_git(PROBE_ARGS, cwd=path, check=False)
    lines = _decode(proc.stdout).split("\n")
    if proc.returncode != 0 or len(lines) < 5:
        return None
    root, head, ref = lines[0], lines[1].strip(), lines[2].strip()
    branch = _branch_name(ref)
    git = Git(root)
    git.head_ref = ref
    git.git_dirs = tuple(dict.fromkeys(d for d in (lines[3], lines[4]) if d))
    if ref == "HEAD" or branch is not None:
        git._branch = branch               # detached: symbolic-ref has no name either
    return git, head, branch


def open_resolved(path: str, revs: Sequence[str]) -> tuple[Git, dict[str, str], str | None] | None:
    """One git call for what a run asks first: the repository (open_repo), the commit each
    of ``revs`` names (Git.resolve; ``HEAD`` among them also answers has_commits) and the
    current branch (Git.current_branch). None when that is not simply answered — not a
    repository, no commit yet, a rev that names no commit or looks like an option, an odd
    top-level path —: the caller then asks one question at a time, as before, and reports
    the exact problem.

    ``--symbolic-full-name HEAD`` names HEAD's branch (`refs/heads/x`: the branch is `x`,
    also when a tag `x` exists, where git's short form would be `heads/x`); a detached HEAD
    prints ``HEAD``, for which current_branch is asked."""
    if not os.path.isdir(path) or any(r.startswith("-") for r in revs):
        return None
    revs = list(dict.fromkeys(revs))
    proc = run_git(["rev-parse", "--show-toplevel", *(f"{r}^{{commit}}" for r in revs),
                    "--symbolic-full-name", "HEAD"], cwd=path, check=False)
    lines = _decode(proc.stdout).split("\n")
    if proc.returncode != 0 or len(lines) != len(revs) + 3 or lines[-1] != "" \
            or _AMBIGUOUS in proc.stderr:
        return None
    root, shas, branch = lines[0], lines[1:-2], lines[-2]
    if not root or root != root.strip() or not branch:
        return None
    if not all(len(sha) in (40, 64) and not sha.strip("0123456789abcdef") for sha in shas):
        return None
    git = Git(root)
    if branch != "HEAD":
        git._branch = branch = _branch_name(branch)
        if branch is None:
            return None
    resolved = dict(zip(revs, shas))
    if "HEAD" in resolved:      # try_resolve("HEAD") later in this run (HEAD is never pinned)
        git.__dict__.setdefault("_resolved", {})["HEAD"] = resolved["HEAD"]
    return git, resolved, (git.current_branch() if branch == "HEAD" else branch)


# git's warning when a name matches more than one ref (`main` a branch and a tag): it then
# reads the first in its order, tags before branches and remote-tracking branches
_AMBIGUOUS = b"' is ambiguous"


def _refuse_ambiguous(name: str, stderr: bytes) -> None:
    """A GuardError when git warned that ``name`` is ambiguous. HEAD is exempt: git reads
    .git/HEAD before any ref, so a tag named HEAD changes nothing."""
    if name != "HEAD" and _AMBIGUOUS in stderr:
        raise GuardError(
            f"{name!r} is ambiguous: more than one ref has that name (a tag named like a "
            "branch?), and git would read the tag",
            hint=f"pass the full ref you mean (refs/remotes/..., refs/heads/..., "
                 f"refs/tags/{name}), or delete the ref that should not exist")


def _short_branch(full: str) -> str | None:
    """`refs/remotes/origin/main` -> `origin/main`, `refs/heads/x` -> `x`; None otherwise."""
    for prefix in ("refs/remotes/", "refs/heads/"):
        if full.startswith(prefix) and full[len(prefix):]:
            return full[len(prefix):]
    return None


def _branch_name(ref: str) -> str | None:
    """The branch of a full ref (`refs/heads/agent/x` -> `agent/x`); None for anything else.
    Policy reads roles from this name, so it is never git's short form, which a tag of the
    same name turns into `heads/agent/x`."""
    return ref[len("refs/heads/"):] or None if ref.startswith("refs/heads/") else None


def open_repo(path: str) -> Git:
    """The repository that contains ``path``, or a GuardError saying why there is none."""
    if not os.path.isdir(path):
        raise GuardError("no such folder", path=path, hint="run guard inside a git repository")
    proc = run_git(["rev-parse", "--show-toplevel"], cwd=path, check=False)
    if proc.returncode != 0:
        msg = _decode(proc.stderr)
        if "not a git repository" in msg:
            raise GuardError("not a git repository", path=os.path.abspath(path),
                             hint="run guard inside the repository to check (or `git init` one)")
        if "dubious ownership" in msg:
            raise GuardError("git refuses this repository (dubious ownership)",
                             path=os.path.abspath(path),
                             hint="mark it safe: git config --global --add safe.directory <path>")
        if "must be run in a work tree" in msg:
            raise _no_work_tree(path)
        raise GuardError(f"git cannot open this folder: {msg.strip()}",
                         path=os.path.abspath(path))
    return Git(_decode(proc.stdout).strip())


def _no_work_tree(path: str) -> GuardError:
    """Why git has no work tree at ``path``: a bare repository, or the `.git` folder of a
    repository (or a folder inside it)."""
    proc = run_git(["rev-parse", "--is-bare-repository", "--absolute-git-dir"], cwd=path,
                   check=False)
    answer = _decode(proc.stdout).split("\n")
    if proc.returncode == 0 and answer[0] == "false" and len(answer) > 1 and answer[1]:
        git_dir = answer[1]
        top = os.path.dirname(git_dir) if os.path.basename(git_dir) == ".git" else None
        return GuardError(f"inside the git directory {git_dir}, not the work tree",
                          path=os.path.abspath(path),
                          hint=f"run guard from the work tree ({top})" if top else
                          "run guard from the repository's work tree")
    return GuardError("a bare repository has no work tree to check",
                      path=os.path.abspath(path), hint="run guard in a clone")


def parse_batch(shas: Sequence[str], data: bytes) -> dict[str, bytes]:
    """`git cat-file --batch` output for ``shas`` (in that order): id -> content; missing
    objects are left out."""
    out, pos = {}, 0
    for sha in shas:
        nl = data.index(b"\n", pos)
        header = data[pos:nl].split()
        pos = nl + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        out[sha] = data[pos:pos + size]
        pos += size + 1
    return out


def _parse_batch_records(data: bytes, count: int) -> list[tuple[str, str, bytes] | None]:
    """`git cat-file --batch` output for ``count`` names: (object id, type, content) each,
    None where git found no object (`<name> missing`, `<name> ambiguous`). ValueError when
    the output is not that."""
    out: list[tuple[str, str, bytes] | None] = []
    pos = 0
    for _ in range(count):
        nl = data.index(b"\n", pos)
        header = data[pos:nl]
        pos = nl + 1
        if header.endswith((b" missing", b" ambiguous")):
            out.append(None)
            continue
        oid, kind, size = header.split(b" ")
        end = pos + int(size)
        if data[end:end + 1] != b"\n":
            raise ValueError("cat-file --batch output out of step")
        out.append((oid.decode(), kind.decode(), data[pos:end]))
        pos = end + 1
    if pos != len(data):
        raise ValueError("cat-file --batch output out of step")
    return out


def _tree_entries(data: bytes, id_len: int) -> list[tuple[bytes, bytes, str]]:
    """(mode, name, object id) of each entry of a raw tree object, in git's order."""
    out, pos = [], 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        oid = data[nul + 1:nul + 1 + id_len]
        if len(oid) != id_len:
            raise ValueError("truncated tree entry")
        out.append((data[pos:space], data[space + 1:nul], oid.hex()))
        pos = nul + 1 + id_len
    return out


def _one_level(folder: str, parent, listed, id_len: int) -> list[str] | None:
    """What `ls-tree -r --name-only --full-tree <rev> -- folder` lists, from the raw trees of
    the folder's parent and of the folder (cat-file records); None when the folder holds a
    sub-folder (ls-tree's walk would go on) or the records do not say."""
    if parent is None or parent[1] != "tree":
        return []                    # no parent folder: nothing there (a file, a submodule)
    name = encode_path(folder.rpartition("/")[2])
    try:
        entry = next((e for e in _tree_entries(parent[2], id_len) if e[1] == name), None)
        if entry is None:
            return []
        if entry[0] != b"40000":
            return [folder]          # a file, symlink or submodule of that name
        if listed is None or listed[1] != "tree" or listed[0] != entry[2]:
            return None
        entries = _tree_entries(listed[2], id_len)
    except ValueError:
        return None
    if any(mode == b"40000" for mode, _name, _oid in entries):
        return None
    return [f"{folder}/{_decode(name)}" for _mode, name, _oid in entries]


def _log_args(rev_range: str, first_parent: bool) -> list[str]:
    args = ["log", "-z", "--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%B"]
    if first_parent:
        args.append("--first-parent")
    return args + [rev_range, "--"]


def _parse_log(stdout: bytes) -> list[Commit]:
    # one decode for the whole output (surrogateescape maps byte for byte, so splitting the
    # text on NUL is the same as splitting the bytes)
    fields = _decode(stdout).split("\0")
    commits = []
    for i in range(0, len(fields) - 5, 6):
        sha, parents, author, email, date, message = fields[i:i + 6]
        commits.append(Commit(sha.strip("\n"), tuple(parents.split()), author, email, date,
                              message.rstrip("\n")))
    return commits


def _scratch_file():
    """An unnamed temporary file, as tempfile.TemporaryFile makes it on Linux (O_TMPFILE in
    the first of $TMPDIR, $TEMP, $TMP, /tmp that takes one), without importing tempfile:
    tempfile, shutil, random and the compression modules shutil loads cost ~8 ms of every
    hook's start-up. Elsewhere, or where no folder takes one, tempfile's own."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is not None:
        env = os.environ
        for folder in (env.get("TMPDIR"), env.get("TEMP"), env.get("TMP"), "/tmp"):
            if folder:
                try:
                    return open(os.open(folder, flag | os.O_RDWR, 0o600), "w+b")
                except OSError:
                    continue
    import tempfile
    return tempfile.TemporaryFile()


class Background:
    """A git command that runs on another core while guard works. Its output goes to an
    unnamed temporary file, so there is no pipe to drain and no thread; collect() waits for
    the command and returns it as run_git would, result() returns just its output."""

    def __init__(self, args: Sequence[str], *, cwd: str, stdin: bytes | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.args = list(args)
        self._out = _scratch_file()
        self._err = _scratch_file()
        source = None
        if stdin is not None:
            source = _scratch_file()
            source.write(stdin)
            source.seek(0)
        try:
            self._proc = subprocess.Popen(["git", *self.args], cwd=cwd,
                                          env=env or _git_env(), stdout=self._out,
                                          stderr=self._err,
                                          stdin=source if source else subprocess.DEVNULL)
        except FileNotFoundError:
            self.close()
            _not_started(cwd)
        finally:
            if source:
                source.close()

    def _finish(self) -> subprocess.CompletedProcess:
        code = self._proc.wait()
        try:
            self._out.seek(0)
            self._err.seek(0)
            return subprocess.CompletedProcess(["git", *self.args], code, self._out.read(),
                                               self._err.read())
        finally:
            self.close()

    def collect(self, *, check: bool = True,
                ok_codes: Iterable[int] = (0,)) -> subprocess.CompletedProcess:
        """Wait for the command: its exit code and output, or (with ``check``) a GuardError
        when it exits with another code than ``ok_codes``."""
        done = self._finish()
        code = done.returncode
        if check and code not in tuple(ok_codes):
            err = _decode(done.stderr).strip().splitlines()
            words = self.args
            while words[:1] == ["-c"]:          # name the command, not its settings
                words = words[2:]
            raise GuardError(f"`git {' '.join(words[:3])}` failed: {err[-1] if err else code}",
                             hint="run the command by hand to see why")
        return done

    def result(self, ok_codes: Iterable[int] = (0,)) -> bytes:
        """The command's standard output; a GuardError when it exits with another code."""
        return self.collect(ok_codes=ok_codes).stdout

    def close(self) -> None:
        """Stop the command if it still runs (an early answer needs no result), and free
        its files."""
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._out.close()
        self._err.close()


class Piped(Background):
    """A Background for a command whose output is small (a few refs, a few settings), read
    through pipes: starting one imports nothing more (tempfile alone costs a PreToolUse
    hook ~6 ms on a slow machine). collect() drains the pipes, so a larger output only
    waits for it."""

    def __init__(self, args: Sequence[str], *, cwd: str) -> None:
        self.args = list(args)
        try:
            self._proc = subprocess.Popen(["git", *self.args], cwd=cwd, env=_git_env(),
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            self._proc = None
            _not_started(cwd)

    def _finish(self) -> subprocess.CompletedProcess:
        out, err = self._proc.communicate()
        return subprocess.CompletedProcess(["git", *self.args], self._proc.returncode, out,
                                           err)

    def close(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()


def _not_started(cwd: str):
    if not os.path.isdir(cwd):
        raise GuardError("no such folder", path=cwd,
                         hint="run guard inside a git repository") from None
    raise GuardError("git is not installed or not on PATH",
                     hint="install git and run guard again") from None


class ScratchIndex:
    """A throwaway index file, outside the repository, that lists chosen blobs under made-up
    names. `git grep --cached` on it searches exactly those blobs, in C and in the
    background, with no tree, commit or other object written to the repository. Names are
    ASCII without a colon (e.g. ``p/12``), so grep's output parses without quoting rules."""

    # a split index would put its shared part in the repository; fsmonitor could run a hook
    CONFIG = ("-c", "core.splitIndex=false", "-c", "core.fsmonitor=false")

    def __init__(self, git: Git, entries: Sequence[tuple[str, str]]) -> None:
        import tempfile

        self.root = git.root
        self._dir = tempfile.mkdtemp(prefix="guard-index-")
        self.env = _git_env()
        self.env["GIT_INDEX_FILE"] = os.path.join(self._dir, "index")
        listing = "".join(f"100644 {sha}\t{name}\n" for name, sha in sorted(entries))
        try:
            proc = subprocess.run(["git", *self.CONFIG, "update-index", "--add",
                                   "--index-info"], cwd=self.root, env=self.env,
                                  input=listing.encode(), capture_output=True, check=False)
        except FileNotFoundError:
            self.close()
            raise GuardError("git is not installed or not on PATH",
                             hint="install git and run guard again") from None
        if proc.returncode != 0:
            self.close()
            err = _decode(proc.stderr).strip().splitlines()
            raise GuardError(f"`git update-index --index-info` failed: "
                             f"{err[-1] if err else proc.returncode}",
                             hint="run the command by hand to see why")

    def grep(self, args: Sequence[str], folders: Sequence[str]) -> Background:
        """Start `git grep` over the blobs listed under ``folders`` (exit 1 = no match).
        One thread (threads contend for the object store), binary blobs read as text (the
        caller decides what is binary), no colour or column in the output."""
        return Background([*self.CONFIG, "grep", "--cached", "--threads=1", "-a",
                           "--no-color", "--no-column", "--no-recurse-submodules",
                           *args, "--", *(f"{folder}/" for folder in folders)],
                          cwd=self.root, env=self.env)

    def close(self) -> None:
        import shutil

        shutil.rmtree(self._dir, ignore_errors=True)
