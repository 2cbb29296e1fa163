"""Alembic judged as Alembic reads it: the revision graph (down_revision as str, tuple or
None, branch_labels, depends_on, merge revisions), heads per branch label, version
locations from alembic.ini / pyproject [tool.alembic]. Real repositories, the real CLI;
and guard's heads compared with `alembic heads` on the same files."""

import os
import shutil
import subprocess
import sys

import pytest

from test_migrations_frameworks import ALEMBIC_ENV, alembic_base
from test_migrations_sql import check, project, rules

V = "db/alembic/versions"


def rev(revision, down, *, labels=None, depends=None):
    return (f'"""{revision}"""\nfrom alembic import op\n\n'
            f"revision = {revision!r}\ndown_revision = {down!r}\n"
            f"branch_labels = {labels!r}\ndepends_on = {depends!r}\n\n\n"
            f"def upgrade():\n    op.create_table('t_{revision}')\n\n\n"
            f"def downgrade():\n    op.drop_table('t_{revision}')\n")


def mig_rules(data, rule):
    return sorted(p for r, p in rules(data) if r == rule)


def test_merge_revision_with_tuple_down_revision_leaves_one_head(tmp_path):
    repo = project(tmp_path, {**alembic_base(), f"{V}/c3_a.py": rev("c3", "b2"),
                              f"{V}/d4_b.py": rev("d4", "b2")})
    repo.commit("feat(db): merge heads", {f"{V}/e5_merge.py": rev("e5", ("c3", "d4"))})
    assert rules(check(repo)) == []


def test_a_second_head_on_the_unlabelled_line_fails(tmp_path):
    repo = project(tmp_path, alembic_base())
    repo.commit("feat(db): sibling", {f"{V}/c3_a.py": rev("c3", "a1")})
    assert mig_rules(check(repo), "MIG006") == [f"{V}/c3_a.py"]


def test_heads_the_base_already_had_are_not_this_branch_s_conflict(tmp_path):
    repo = project(tmp_path, {**alembic_base(), f"{V}/c3_a.py": rev("c3", "a1")})
    repo.commit("feat(db): on one head", {f"{V}/d4_b.py": rev("d4", "c3")})
    assert mig_rules(check(repo), "MIG006") == []


def test_a_new_labelled_branch_is_not_a_conflict_but_two_heads_in_it_are(tmp_path):
    repo = project(tmp_path, alembic_base())
    repo.commit("feat(db): networking branch", {
        f"{V}/n1_net.py": rev("n1", None, labels=("networking",)),
        f"{V}/n2_net.py": rev("n2", "n1", depends="b2")})
    assert rules(check(repo)) == []
    repo.commit("feat(db): two net heads", {f"{V}/n3_net.py": rev("n3", "n1")})
    assert mig_rules(check(repo), "MIG006") == [f"{V}/n2_net.py", f"{V}/n3_net.py"]


def test_depends_on_does_not_end_a_head_and_may_name_a_label(tmp_path):
    repo = project(tmp_path, {**alembic_base(),
                              f"{V}/n1_net.py": rev("n1", None, labels="networking")})
    repo.commit("feat(db): depends", {f"{V}/c3_a.py": rev("c3", "b2", depends="networking")})
    assert rules(check(repo)) == []
    repo.commit("feat(db): depends on nothing", {f"{V}/d4_b.py": rev("d4", "c3",
                                                                    depends="nosuch")})
    assert mig_rules(check(repo), "MIG007") == [f"{V}/d4_b.py"]


def test_parent_in_another_version_location_is_not_missing(tmp_path):
    ini = ("[alembic]\nscript_location = db/alembic\n"
           "version_locations = %(here)s/db/alembic/versions %(here)s/plugins/billing/revs\n")
    repo = project(tmp_path, {**alembic_base(), "alembic.ini": ini,
                              "plugins/billing/revs/p1_billing.py": rev("p1", "b2")})
    repo.commit("feat(db): on the plugin", {f"{V}/c3_a.py": rev("c3", "p1")})
    data = check(repo)
    assert rules(data) == []
    folders = {s["folder"] for s in data["facts"]["migrations"]["sets"]}
    assert folders == {V, "plugins/billing/revs"}
    repo.commit("feat(db): missing", {f"{V}/d4_b.py": rev("d4", "zz99")})
    assert mig_rules(check(repo), "MIG007") == [f"{V}/d4_b.py"]


def test_pyproject_tool_alembic_names_the_locations(tmp_path):
    files = {k.replace("db/alembic/", "migr/"): v for k, v in alembic_base().items()
             if k != "alembic.ini"}
    files["pyproject.toml"] = ('[project]\nname = "x"\n\n[tool.alembic]\n'
                               'script_location = "%(here)s/migr"\n'
                               'version_locations = ["%(here)s/migr/versions", "%(here)s/more"]\n')
    files["more/m1_more.py"] = rev("m1", "b2")
    repo = project(tmp_path, files)
    repo.commit("feat(db): child", {"migr/versions/c3_a.py": rev("c3", "m1")})
    assert rules(check(repo)) == []


def test_no_number_rules_for_alembic_file_names(tmp_path):
    # numbered file names out of order: Alembic orders by the graph, not by names
    repo = project(tmp_path, {**ALEMBIC_ENV, f"{V}/0005_a.py": rev("a1", None),
                              f"{V}/0006_b.py": rev("b2", "a1")})
    repo.commit("feat(db): third", {f"{V}/0001_c.py": rev("c3", "b2"),
                                    f"{V}/0005_d.py": rev("d4", "c3")})
    assert rules(check(repo)) == []


# --- guard's heads against `alembic heads` on the same files ---------------------------

GRAPHS = {
    "linear": [("a", None, None, None), ("b", "a", None, None)],
    "fork": [("a", None, None, None), ("b", "a", None, None), ("c", "a", None, None)],
    "merge": [("a", None, None, None), ("b", "a", None, None), ("c", "a", None, None),
              ("d", ("b", "c"), None, None)],
    "labels": [("a", None, None, None), ("b", "a", None, None),
               ("n", None, ("net",), None), ("o", "n", None, "b"), ("p", "n", None, None),
               ("q", None, ("billing", "pay"), None)],
}


def _alembic_heads(folder):
    exe = shutil.which("alembic", path=os.path.dirname(sys.executable))
    proc = subprocess.run([exe, "heads"], cwd=folder, capture_output=True, text=True,
                          check=True)
    out = {}
    for line in proc.stdout.splitlines():
        words = line.split(" ", 1)
        # "b (effective head)": a head that another revision's depends_on names
        rest = words[1] if len(words) > 1 else ""
        labels = rest.replace("(effective head)", "").replace("(head)", "").strip().strip("()")
        out[words[0]] = frozenset(x.strip() for x in labels.split(",") if x.strip())
    return out


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_heads_agree_with_alembic_heads(tmp_path, name):
    pytest.importorskip("alembic")
    from guard.checks.migrations import alembic as reader, history
    from guard.checks.migrations.model import Migration
    folder = tmp_path / "proj"
    (folder / "mig" / "versions").mkdir(parents=True)
    (folder / "alembic.ini").write_text("[alembic]\nscript_location = mig\n")
    (folder / "mig" / "env.py").write_text("")
    (folder / "mig" / "script.py.mako").write_text("")
    migs = []
    for r, down, labels, depends in GRAPHS[name]:
        text = rev(r, down, labels=labels, depends=depends)
        path = folder / "mig" / "versions" / f"{r}_x.py"
        path.write_text(text)
        m = Migration("alembic", r, str(path), (str(path),), None, r, r, "alembic")
        reader.load(m, text.encode(), "postgres")
        migs.append(m)
    assert history.alembic_heads(migs) == _alembic_heads(folder)


def test_a_branch_that_touches_no_revision_reads_none_and_reports_the_folder(tmp_path):
    # the base already has a syntax error and two heads: not this branch's doing
    repo = project(tmp_path, {**alembic_base(), f"{V}/c3_a.py": rev("c3", "a1"),
                              f"{V}/d4_bad.py": "revision = (\n"})
    repo.commit("docs: readme", {"README.md": "# edited\n"})
    data = check(repo)
    assert data["findings"] == []
    [s] = data["facts"]["migrations"]["sets"]
    assert (s["folder"], s["base"], s["new"]) == (V, 4, 0)
    repo.commit("feat(db): child of the broken one", {f"{V}/e5_a.py": rev("e5", "c3")})
    assert mig_rules(check(repo), "MIG006") == []
