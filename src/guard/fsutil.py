"""Folder walks without recursion: a branch can commit a folder a thousand levels deep, and
os.walk (before Python 3.12), os.makedirs and shutil.rmtree recurse once per level."""

from __future__ import annotations

import os


def walk(root: str, skip: tuple[str, ...] = ()):
    """(entry, is a folder) for every entry under ``root``, depth first without recursion;
    symlinks are not followed, folders named in ``skip`` are not entered, unreadable
    entries are left out."""
    todo = [root]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir and entry.name in skip:
                continue
            if is_dir:
                todo.append(entry.path)
            yield entry, is_dir


def files_under(base: str) -> list[str]:
    """Every non-folder entry under ``base`` (symlinks not followed), as full paths."""
    return [entry.path for entry, is_dir in walk(base) if not is_dir]


def make_dirs(path: str) -> None:
    """os.makedirs(path, exist_ok=True), one level at a time."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise


def remove_tree(root: str) -> None:
    """shutil.rmtree(root, ignore_errors=True), without recursion; a symlink is removed,
    never followed."""
    if os.path.islink(root) or not os.path.isdir(root):
        try:
            os.unlink(root)
        except OSError:
            pass
        return
    folders = [root]
    for entry, is_dir in walk(root):
        if is_dir:
            folders.append(entry.path)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError:
            pass
