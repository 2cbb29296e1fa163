"""The app's environment and working directory: `.env` files loaded as python-dotenv's
`load_dotenv()` would (never over the real environment), the application folder as the
working directory and first on sys.path."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, Mapping

from guard.checks.contract import envfile

# the keys that choose which app runs: from the trusted base's files or the real
# environment, never from a `.env` the checked branch (or the agent) can write
PINNED = ("FLASK_APP", "DJANGO_SETTINGS_MODULE")


def dotenv_files(app_dir: str) -> list[str]:
    """Repository-relative `.env` files, the strongest first: the application folder's, then
    the root's (`.env` over `.flaskenv`, as `flask run` loads them)."""
    folders = [app_dir, ""] if app_dir else [""]
    return [os.path.join(f, name) if f else name for name in (".env", ".flaskenv")
            for f in folders]


def compose(root: str, app_dir: str, pinned: Mapping[str, str],
            environ: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the variables to add to ``environ``, one note per file read)."""
    added = {k: v for k, v in pinned.items() if k not in environ}
    notes = []
    for rel in dotenv_files(app_dir):
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        parsed = envfile.parse(text, environ)
        names, ignored = [], []
        for e in parsed.entries:
            if e.value is None:
                continue
            if e.key in PINNED:
                ignored.append(e.key)
            elif e.key not in environ and e.key not in added:
                added[e.key] = e.value
                names.append(e.key)
        note = f"{rel}: {', '.join(names) or 'nothing new'}"
        if ignored:
            note += f" ({', '.join(sorted(set(ignored)))} ignored: the app is chosen on the base)"
        if parsed.bad_lines:
            note += " (line " + ", ".join(map(str, parsed.bad_lines)) + \
                " skipped: not KEY=value)"
        notes.append(note)
    return added, notes


@contextlib.contextmanager
def applied(added: Mapping[str, str], folder: str) -> Iterator[None]:
    """``added`` in os.environ, ``folder`` the working directory and first on sys.path, for
    the time the app runs in guard's process; everything restored afterwards."""
    saved = {k: os.environ.get(k) for k in added}
    cwd = os.getcwd()
    os.environ.update(added)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        os.chdir(folder)
        yield
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
