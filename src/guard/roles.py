"""Role packs: which paths a role owns, must not touch, and shares.

Built-in packs ship in the package (guard/rules, the repository's rules/ folder; a source
tree or editable install reads rules/ itself, see packs_folder); a project
adds or overrides roles with YAML files in its roles folder (guard.roles_dir), read from the
trusted revision like the rest of the policy.
"""

import os
from typing import Callable, Iterable, NamedTuple

from guard import yamlfile
from guard.errors import GuardError
from guard.patterns import Source, validate_pattern
from guard.schema import check_keys, did_you_mean, expect, expect_choice, str_list
from guard.yamlfile import line_of

ROLE_KEYS = ("name", "title", "persona", "agent_names", "extends", "owned", "forbidden",
             "shared", "unowned")
GROUP_KEYS = ("paths", "note", "owner")
LISTS = ("owned", "forbidden", "shared")


class Role(NamedTuple):
    name: str
    title: str
    persona_key: str | None
    agent_names: tuple[str, ...]
    owned: tuple[Source, ...]
    forbidden: tuple[Source, ...]
    shared: tuple[Source, ...]
    unowned: str          # severity for paths neither owned nor shared
    file: str


def parse_groups(value, *, kind: str, file: str, line: int | None,
                 trusted: bool = False) -> list[Source]:
    """A list whose entries are patterns or {paths, note, owner} groups. ``trusted``: guard's
    own (a built-in pack; see validate_pattern)."""
    if value is None:
        return []
    expect(value, list, file=file, line=line, what=kind)
    out: list[Source] = []
    for i, entry in enumerate(value):
        entry_line = line_of(value, i, line)
        if isinstance(entry, str):
            out.append(Source(validate_pattern(entry, file=file, line=entry_line,
                                               trusted=trusted), file, entry_line, kind))
            continue
        expect(entry, dict, file=file, line=entry_line, what=f"each entry of {kind}")
        check_keys(entry, GROUP_KEYS, file=file, where=f"an entry of {kind}")
        if "paths" not in entry:
            raise GuardError(f"an entry of {kind} has no 'paths'", path=file, line=entry_line,
                             hint="add paths: [src/api/, ...]")
        note = entry.get("note")
        owner = entry.get("owner")
        if note is not None:
            expect(note, str, file=file, line=line_of(entry, "note"), what="note")
        if owner is not None:
            expect(owner, str, file=file, line=line_of(entry, "owner"), what="owner")
        for pattern, pline in str_list(entry["paths"], file=file, line=line_of(entry, "paths"),
                                       what="paths"):
            out.append(Source(validate_pattern(pattern, file=file, line=pline,
                                               trusted=trusted), file, pline, kind, note, owner))
    return out


def parse_role(data, file: str, known: dict[str, Role], trusted: bool = False) -> Role:
    if not isinstance(data, dict):
        raise GuardError("a role file must be a mapping with name, owned, forbidden, shared",
                         path=file, line=getattr(data, "line", None))
    check_keys(data, ROLE_KEYS, file=file, where="a role file")
    if "name" not in data:
        raise GuardError("role file has no 'name'", path=file, line=getattr(data, "line", 1),
                         hint="add name: backend (the name used with --role)")
    name = expect(data["name"], str, file=file, line=line_of(data, "name"), what="name")
    base: Role | None = None
    if "extends" in data:
        parent = expect(data["extends"], str, file=file, line=line_of(data, "extends"),
                        what="extends")
        if parent not in known:
            raise GuardError(f"role {name!r} extends unknown role {parent!r}", path=file,
                             line=line_of(data, "extends"),
                             hint=did_you_mean(parent, known) or f"known: {', '.join(known)}")
        base = known[parent]
    lists = {}
    for kind in LISTS:
        own = parse_groups(data.get(kind), kind=kind, file=file, line=line_of(data, kind),
                           trusted=trusted)
        lists[kind] = tuple((getattr(base, kind) if base else ()) + tuple(own))
    agent_names = tuple(item for item, _ in str_list(
        data.get("agent_names", []), file=file, line=line_of(data, "agent_names"),
        what="agent_names")) or (base.agent_names if base else ())
    title = data.get("title", base.title if base else name.title())
    expect(title, str, file=file, line=line_of(data, "title"), what="title")
    persona = data.get("persona", base.persona_key if base else None)
    if persona is not None:
        expect(persona, str, file=file, line=line_of(data, "persona"), what="persona")
    unowned = data.get("unowned", base.unowned if base else "error")
    expect_choice(unowned, ("error", "warning"), file=file, line=line_of(data, "unowned"),
                  what="unowned")
    return Role(name, title, persona, agent_names, lists["owned"], lists["forbidden"],
                lists["shared"], unowned, file)


def packs_folder() -> str:
    """The folder of the built-in role packs: guard/rules in an installed guard (the wheel
    ships the repository's rules/ there); where guard is imported from a source tree (an
    editable install, src/ on sys.path), the repository's rules/ beside src/."""
    # the folder directly: importlib.resources would import tempfile, shutil and random on
    # the pre-commit path for nothing (guard ships as a plain folder, not a zip)
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.join(here, "rules"),
                   os.path.join(os.path.dirname(os.path.dirname(here)), "rules")):
        if os.path.isfile(os.path.join(folder, "backend.yaml")):
            return folder
    raise GuardError(f"guard's built-in role packs are missing: neither {here}/rules nor the "
                     "source tree's rules/ holds backend.yaml",
                     hint="reinstall guard (pip install --force-reinstall agent-branch-guard)")


def builtin_role_files() -> list[tuple[str, bytes]]:
    folder = packs_folder()
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(folder, name), "rb") as fh:
                out.append((f"builtin:{name}", fh.read()))  # as messages cite it
    return out


def load_roles(project_files: Iterable[tuple[str, bytes]]) -> dict[str, Role]:
    """Built-in roles, then the project's (which may extend or replace them). The built-in
    packs' patterns are compiled when first matched (tests/test_patterns.py compiles them)."""
    from guard.packdata import PACKS

    roles: dict[str, Role] = {}
    for file, raw in builtin_role_files():
        # the pack as guard.packgen spelled it out in Python, when its bytes on disk are the
        # bytes it was generated from (~8 ms of YAML parsing on every hook call); an edited
        # or added pack is read as YAML
        pack = PACKS.get(file)
        data = pack[0]() if pack is not None and pack[1] == raw else yamlfile.load(raw, file)
        role = parse_role(data, file, roles, trusted=True)
        roles[role.name] = role
    for file, raw in sorted(project_files):
        role = parse_role(yamlfile.load(raw, file), file, roles)
        roles[role.name] = role
    return roles


def find_role(roles: dict[str, Role], wanted: str, *, origin: str,
              on_missing: Callable[[str], GuardError] | None = None) -> Role:
    """By name or by agent name (`engineering-backend` → backend)."""
    if wanted in roles:
        return roles[wanted]
    for role in roles.values():
        if wanted in role.agent_names:
            return role
    if on_missing:
        raise on_missing(wanted)
    raise GuardError(f"unknown role {wanted!r} (from {origin})",
                     hint=did_you_mean(wanted, roles) or f"known roles: {', '.join(sorted(roles))}")
