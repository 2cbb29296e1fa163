"""Best-effort reading of a Bash command's obvious write targets, for the PreToolUse hook.

What is read: output redirections (`>`, `>>`, `>|`, `&>`, `<>`), `tee [-a]`, `cp` and `mv`
(destination; `mv` also its sources, which disappear), `rm`, `sed -i`, `git checkout -- paths`,
`git restore paths`, `git rm`, `git mv`, `touch`, `truncate`, `ln` (the link it creates),
across `;`, `&&`, `||`, `|` and newlines, with `cd DIR` followed for the commands after it.

What is never guessed at (the hook then allows, and the diff check still sees the result):
anything with `$` (variables, `$(...)`), backticks, here-docs (`<<`), a quoted string holding
shell operators, a target with a glob (`*`, `?`, `[`), braces or `~`, a command that does not
tokenise, and every write a program makes on its own: `python -c`, `node -e`, `perl -i`,
`bash -c`, `find -delete`, `xargs`, `make`, package managers, editors. The caller must never
block on anything this module cannot read for sure.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import NamedTuple

PUNCT = ";&|()<>\n"
_UNSURE = re.compile(r"[$`]|<<")
_QUOTED_OPERATOR = re.compile(r"""'[^']*[;&|<>()][^']*'|"[^"]*[;&|<>()][^"]*\"""")
_GLOB = re.compile(r"[*?\[\]{}]")
PREFIXES = {"sudo", "command", "builtin", "env", "nohup", "time", "exec", "nice", "stdbuf"}


class Target(NamedTuple):     # (NamedTuples: see config.Config on dataclasses)
    path: str        # as it will be written, made absolute against the command's cwd
    verb: str        # "write", "delete", "move", "link" ...
    command: str     # the program or operator that writes it (`rm`, `>`)


class Parsed(NamedTuple):
    targets: tuple[Target, ...]
    skipped: str | None = None     # why (part of) the command was not read, for the notice


def _is_operator(token: str) -> bool:
    return bool(token) and all(ch in PUNCT for ch in token)


def _tokens(command: str) -> list[str] | None:
    lex = shlex.shlex(command, posix=True, punctuation_chars=PUNCT)
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    try:
        return list(lex)
    except ValueError:    # unbalanced quotes, a trailing escape
        return None


def _positional(args: list[str], takes_value: set[str] = frozenset()) -> list[str]:
    """Arguments that are not options (an option in ``takes_value`` eats the next one)."""
    out, i, ended = [], 0, False
    while i < len(args):
        arg = args[i]
        if ended or not arg.startswith("-") or arg == "-":
            out.append(arg)
        elif arg == "--":
            ended = True
        elif arg in takes_value:
            i += 1
        i += 1
    return out


def _option_value(args: list[str], short: str, long: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == short and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(long + "="):
            return arg.split("=", 1)[1]
    return None


def _into(dest: str, source: str, cwd: str, trailing_dir: bool) -> str:
    """cp/mv/ln semantics: into an existing folder (or one named with a trailing /)."""
    full = os.path.join(cwd, dest)
    if trailing_dir or os.path.isdir(full):
        return os.path.join(full, os.path.basename(source.rstrip("/")))
    return full


def _command_targets(words: list[str], cwd: str) -> list[Target]:
    while words and (words[0] in PREFIXES or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])):
        words = words[1:]
    if not words:
        return []
    prog, args = os.path.basename(words[0]), words[1:]
    out: list[Target] = []

    def add(path: str, verb: str) -> None:
        out.append(Target(os.path.normpath(os.path.join(cwd, path)), verb, prog))

    if prog == "tee":
        for path in _positional(args):
            add(path, "write")
    elif prog in ("rm", "unlink", "shred"):
        for path in _positional(args):
            add(path, "delete")
    elif prog in ("touch", "truncate"):
        for path in _positional(args, {"-d", "-t", "-r", "-s", "--reference"}):
            add(path, "write")
    elif prog in ("cp", "mv", "install"):
        target_dir = _option_value(args, "-t", "--target-directory")
        pos = _positional(args, {"-t", "-S", "--suffix", "-m", "-o", "-g", "--target-directory"})
        sources = pos if target_dir else pos[:-1]
        dest = target_dir or (pos[-1] if len(pos) >= 2 else None)
        if dest is None:
            return out
        for src in sources:
            out.append(Target(os.path.normpath(_into(dest, src, cwd, bool(target_dir) or
                                                     dest.endswith("/") or len(sources) > 1)),
                              "write", prog))
            if prog == "mv":
                add(src, "move away")
    elif prog == "ln":
        target_dir = _option_value(args, "-t", "--target-directory")
        pos = _positional(args, {"-t", "-S", "--suffix", "--target-directory"})
        if target_dir:
            for src in pos:
                out.append(Target(os.path.normpath(_into(target_dir, src, cwd, True)), "link",
                                  prog))
        elif len(pos) == 1:
            add(os.path.basename(pos[0].rstrip("/")), "link")
        elif len(pos) >= 2:
            for src in pos[:-1]:
                out.append(Target(os.path.normpath(_into(pos[-1], src, cwd, len(pos) > 2)),
                                  "link", prog))
    elif prog == "sed":
        if not any(a == "-i" or a.startswith("--in-place") or
                   (a.startswith("-") and not a.startswith("--") and "i" in a[1:])
                   for a in args):
            return out
        has_script = any(a in ("-e", "-f") or a.startswith(("--expression", "--file"))
                         for a in args)
        pos = _positional(args, {"-e", "-f", "-l"})
        for path in pos if has_script else pos[1:]:
            add(path, "edit in place")
    elif prog == "git" and args:
        sub, rest = args[0], args[1:]
        if sub == "checkout" and "--" in rest:
            for path in rest[rest.index("--") + 1:]:
                add(path, "overwrite")
        elif sub == "restore" and "--staged" not in rest and "-S" not in rest:
            for path in _positional(rest, {"-s", "--source"}):
                add(path, "overwrite")
        elif sub == "rm" and "--cached" not in rest:
            for path in _positional(rest, {"--pathspec-from-file"}):
                add(path, "delete")
        elif sub == "mv":
            return _command_targets(["mv"] + [a for a in rest if a not in ("-f", "-k", "-v",
                                                                              "-n")], cwd)
    return out


def write_targets(command: str, cwd: str) -> Parsed:
    """The paths ``command`` obviously writes, made absolute against ``cwd``."""
    if _UNSURE.search(command):
        return Parsed((), "the command uses $, backticks or a here-doc")
    if _QUOTED_OPERATOR.search(command):
        return Parsed((), "a quoted string holds shell operators")
    tokens = _tokens(command)
    if tokens is None:
        return Parsed((), "the command does not tokenise")
    targets: list[Target] = []
    skipped = None
    segment: list[str] = []
    i = 0
    in_group = "(" in tokens

    def flush() -> str | None:
        nonlocal cwd
        words = [w for w in segment if w]
        segment.clear()
        if not words:
            return None
        if words[0] in ("cd", "pushd"):
            dest = words[1] if len(words) == 2 else None
            if dest is None or dest.startswith(("-", "~")) or _GLOB.search(dest) or in_group:
                return "a cd whose target is unclear"
            cwd = os.path.join(cwd, dest)
            return None
        for target in _command_targets(words, cwd):
            targets.append(target)
        return None

    while i < len(tokens):
        tok = tokens[i]
        if _is_operator(tok):
            if ">" in tok:
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                i += 2
                if nxt is None or _is_operator(nxt):
                    return Parsed(tuple(targets), "a redirection without a target")
                if tok.endswith("&") and (nxt.isdigit() or nxt == "-"):
                    continue          # >&2: a file descriptor, not a file
                # drop a file-descriptor number written just before the operator (2>file)
                if segment and segment[-1].isdigit():
                    segment.pop()
                targets.append(Target(os.path.normpath(os.path.join(cwd, nxt)), "write", tok))
                continue
            if "<" in tok:
                i += 2                # input redirection: skip its source
                continue
            reason = flush()
            if reason:
                skipped = reason
                break
            i += 1
            continue
        segment.append(tok)
        i += 1
    else:
        reason = flush()
        if reason:
            skipped = reason
    sure = []
    for t in targets:
        if _GLOB.search(t.path) or t.path.startswith("~") or "/~" in t.path:
            skipped = skipped or "a target with a glob, braces or ~"
            continue
        sure.append(t)
    return Parsed(tuple(sure), skipped)
