"""Server start scripts (shell scripts, Procfile, package.json scripts): `--port 8000`."""

from __future__ import annotations

import json

from guard.checks.conventions.facts import FileFacts, PortSite
from guard.lazyre import Pattern

_DIGITS = Pattern(r"^\d{2,5}$")
_BIND = Pattern(r"^[\w.\-\[\]:*]*:(\d{2,5})$")
SHORT_P = {"flask", "next", "vite", "nuxt", "serve", "http-server", "remix", "astro",
           "webpack-dev-server", "live-server"}
BIND_TOOLS = {"gunicorn", "hypercorn", "daphne"}
# development tools with a preview server of their own, which is not the application's server
# (the role contract's rule is about the port the app listens on): react-email's `email dev
# --port 3333`, `storybook dev -p 6006`, `prisma studio --port 5555`, `drizzle-kit studio`,
# Playwright's report viewer, Vitest's UI. A port one of these takes is not CONV001's.
DEV_TOOLS = {"email", "react-email", "storybook", "start-storybook", "prisma", "drizzle-kit",
             "playwright", "vitest"}
_SEPARATORS = {"&&", "||", ";", "|", "&"}


def is_script(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith((".sh", ".bash")) or name in ("Procfile", "package.json")


def _words(command: str) -> list[str]:
    import shlex

    try:
        return shlex.split(command, comments=True)
    except ValueError:                     # unbalanced quote: fall back to plain words
        return command.split("#", 1)[0].split()


def command_ports(command: str) -> list[tuple[str, str]]:
    """(flag, port) for each literal port a command line passes to a server; each command of
    a list (`a && b`, `a; b`, `a | b`) is read on its own, and one a development tool runs
    (DEV_TOOLS) is left out."""
    found = []
    segment: list[str] = []
    words = []
    for word in _words(command):
        if len(word) > 1 and word[-1] in ";&" and word[-2:] != "&&":   # `a; b`: "a;" "b"
            words += [word[:-1], word[-1]]
        else:
            words.append(word)
    for word in words + [";"]:
        if word in _SEPARATORS:
            found += _segment_ports(segment)
            segment = []
        else:
            segment.append(word)
    return found


def _segment_ports(words: list[str]) -> list[tuple[str, str]]:
    tools = {w.rsplit("/", 1)[-1] for w in words}
    if tools & DEV_TOOLS:
        return []
    found = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "--port" and _DIGITS.match(nxt):
            found.append(("--port", nxt))
        elif word.startswith("--port=") and _DIGITS.match(word[7:]):
            found.append(("--port", word[7:]))
        elif word == "-p" and _DIGITS.match(nxt) and tools & SHORT_P:
            found.append(("-p", nxt))
        elif word in ("--bind", "-b") and _BIND.match(nxt) and tools & BIND_TOOLS:
            found.append((word, _BIND.match(nxt).group(1)))
        elif word.startswith("--bind=") and _BIND.match(word[7:]):
            found.append(("--bind", _BIND.match(word[7:]).group(1)))
    return found


def _lines(text: str) -> list[str]:
    """The lines of ``text`` numbered as the other checks number them: split at \n only
    (a \r before it dropped), where str.splitlines also breaks at \f, \x1c, \u2028, ..."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def analyze(text: str, path: str) -> FileFacts:
    facts = FileFacts(path)
    if path.rsplit("/", 1)[-1] == "package.json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            facts.parse_error = (getattr(exc, "lineno", 1), f"not valid JSON: {exc}")
            return facts
        scripts = data.get("scripts") if isinstance(data, dict) else None
        lines = _lines(text)
        for key, command in (scripts or {}).items():
            if not isinstance(command, str):
                continue
            line = next((n for n, t in enumerate(lines, 1) if f'"{key}"' in t), 1)
            for flag, port in command_ports(command):
                facts.ports.append(PortSite(line, f"{flag} in the {key!r} script", "literal",
                                            port))
        return facts
    joined, start = "", None
    for number, line in enumerate(_lines(text), 1):
        if start is None:
            start = number
        if line.endswith("\\"):                 # continued command line
            joined += line[:-1] + " "
            continue
        joined += line
        if path.endswith("Procfile") and ":" in joined:
            joined = joined.split(":", 1)[1]
        for flag, port in command_ports(joined):
            facts.ports.append(PortSite(start, f"{flag} in a start script", "literal", port))
        joined, start = "", None
    return facts
