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


# the file names local SQLite databases go by (Django's db.sqlite3, Flask-SQLAlchemy's app.db)
_DB_SUFFIXES = (".sqlite3", ".sqlite", ".db")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _is_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def local_databases(root: str, untracked: list[str]) -> list[str]:
    """The repository-relative SQLite database files among ``untracked`` (git's listing of
    untracked paths, a wholly untracked folder as one `name/`): each file by itself, and the
    files directly inside an untracked folder (Flask's `instance/`), except virtualenvs,
    dependency folders and hidden ones. Recognised by their name and their header."""
    found = []
    for rel in untracked:
        if not rel.endswith("/"):
            if rel.endswith(_DB_SUFFIXES) and _is_sqlite(os.path.join(root, rel)):
                found.append(rel)
            continue
        name = rel.rstrip("/").rpartition("/")[2]
        folder = os.path.join(root, rel)
        if name.startswith((".", "__")) or name in ("node_modules", "venv", "env") or \
                name.endswith(".egg-info") or os.path.exists(os.path.join(folder, "pyvenv.cfg")):
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name.endswith(_DB_SUFFIXES) and e.is_file(follow_symlinks=False) and \
                    _is_sqlite(e.path):
                found.append(rel + e.name)
    return found


def copy_database(src: str, dst: str) -> None:
    """A consistent copy of the SQLite database ``src`` at ``dst`` (SQLite's backup, which
    reads through a write-ahead log and never writes to ``src``)."""
    import pathlib
    import sqlite3

    source = sqlite3.connect(pathlib.Path(os.path.abspath(src)).as_uri() + "?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
