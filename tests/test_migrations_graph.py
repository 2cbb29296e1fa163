"""Django migrations judged by the dependency graph, as Django's loader reads it."""

from test_migrations_frameworks import DJANGO_BASE, django_mig
from test_migrations_sql import check, project, rules

ADD = "migrations.AddField(model_name='order', name='{0}', field=models.TextField(null=True))"


def squash_mig(replaces, deps, ops):
    text = django_mig(deps, ops)
    return text.replace("    dependencies", f"    replaces = {replaces!r}\n    dependencies", 1)


def test_two_same_numbered_migrations_and_a_merge_pass(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    repo.commit("feat(shop): merge", {
        "shop/migrations/0003_a.py": django_mig([("shop", "0002_total")], [ADD.format("a")]),
        "shop/migrations/0003_b.py": django_mig([("shop", "0002_total")], [ADD.format("b")]),
        "shop/migrations/0004_merge_20260714_1040.py": django_mig(
            [("shop", "0003_a"), ("shop", "0003_b")], [])})
    assert check(repo)["findings"] == []


def test_cross_app_contrib_swappable_and_first_dependencies_pass(tmp_path):
    files = dict(DJANGO_BASE)
    files["account/__init__.py"] = ""
    files["account/migrations/__init__.py"] = ""
    files["account/migrations/0001_initial.py"] = django_mig([], [])
    repo = project(tmp_path, files)
    text = django_mig(
        [("shop", "0002_total"), ("account", "0001_initial"),
         ("auth", "0006_require_contenttypes_0002"), ("contenttypes", "__first__"),
         ("account", "__latest__")], [ADD.format("n")])
    text = text.replace("    dependencies = [",
                        "    dependencies = [migrations.swappable_dependency("
                        "settings.AUTH_USER_MODEL), ", 1)
    repo.commit("feat(shop): deps", {"shop/migrations/0003_n.py": text})
    assert check(repo)["findings"] == []


def test_dependency_on_a_missing_migration_of_a_repo_app_fails(tmp_path):
    files = dict(DJANGO_BASE)
    files["account/migrations/__init__.py"] = ""
    files["account/migrations/0001_initial.py"] = django_mig([], [])
    repo = project(tmp_path, files)
    repo.commit("feat(shop): deps", {"shop/migrations/0003_n.py": django_mig(
        [("shop", "0002_total"), ("account", "0101_user_customer_type")], [ADD.format("n")])})
    assert rules(check(repo)) == [("MIG007", "shop/migrations/0003_n.py")]


def test_squashed_migration_with_replaces_is_one_node(tmp_path):
    files = dict(DJANGO_BASE)
    files["shop/migrations/0001_squashed_0002_total.py"] = squash_mig(
        [("shop", "0001_initial"), ("shop", "0002_total")], [], [])
    repo = project(tmp_path, files)
    # depends on a replaced migration; the squash's own leaf and 0002's are one node
    repo.commit("feat(shop): after squash", {"shop/migrations/0003_n.py": django_mig(
        [("shop", "0002_total")], [ADD.format("n")])})
    assert check(repo)["findings"] == []


def test_squash_whose_replaced_files_were_deleted_is_still_known(tmp_path):
    files = {k: v for k, v in DJANGO_BASE.items() if "000" not in k}
    files["shop/migrations/0001_squashed_0002_total.py"] = squash_mig(
        [("shop", "0001_initial"), ("shop", "0002_total")], [], [])
    repo = project(tmp_path, files)
    repo.commit("feat(shop): n", {"shop/migrations/0003_n.py": django_mig(
        [("shop", "0002_total")], [ADD.format("n")])})
    assert check(repo)["findings"] == []


def test_run_before_makes_no_second_leaf(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    text = django_mig([("shop", "0001_initial")], [ADD.format("r")]).replace(
        "    dependencies", "    run_before = [('shop', '0002_total')]\n    dependencies", 1)
    repo.commit("feat(shop): r", {"shop/migrations/0003_r.py": text})
    assert check(repo)["findings"] == []


def test_a_real_second_leaf_fails(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    repo.commit("feat(shop): leaf", {"shop/migrations/0003_x.py": django_mig(
        [("shop", "0001_initial")], [ADD.format("x")])})
    got = check(repo)
    assert rules(got) == [("MIG006", "shop/migrations/0003_x.py")]
    assert "Conflicting migrations detected" in got["findings"][0]["message"]


def test_comment_docstring_and_import_order_edit_of_applied_migration_is_info(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    text = DJANGO_BASE["shop/migrations/0002_total.py"]
    edited = ('"""Adds the total."""\n# fix a typo\n'
              + text.replace("from django.db import migrations, models",
                             "from django.db import models, migrations")
              .replace("class Migration(migrations.Migration):\n",
                       "class Migration(migrations.Migration):\n    \"\"\"Doc.\"\"\"\n\n"))
    edited = edited.replace("from django.db import models, migrations",
                            "from django.db import models\nfrom django.db import migrations")
    repo.commit("docs(shop): typo", {"shop/migrations/0002_total.py": edited})
    got = check(repo)
    assert [(f["rule"], f["severity"]) for f in got["findings"]] == [("MIG014", "info")]


def test_executable_edit_of_applied_migration_stays_mig001(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    text = DJANGO_BASE["shop/migrations/0002_total.py"].replace("default=0", "default=1")
    repo.commit("fix(shop): default", {"shop/migrations/0002_total.py": text})
    assert rules(check(repo)) == [("MIG001", "shop/migrations/0002_total.py")]


MODELS = ('from django.db import models\n\n\n'
          'class Order(models.Model):\n'
          '    total = models.IntegerField(default=0)\n\n'
          '    class Meta:\n        db_table = "orders"\n\n'
          '    def __str__(self):\n        return str(self.total)\n')


def test_docstring_comment_and_method_edit_of_models_gives_no_mig020(tmp_path):
    files = dict(DJANGO_BASE, **{"shop/models.py": MODELS})
    repo = project(tmp_path, files)
    edited = MODELS.replace("class Order(models.Model):\n",
                            'class Order(models.Model):\n    """An order."""\n    # the sum\n') \
        .replace("return str(self.total)", "return f'{self.total}'")
    repo.commit("docs(shop): doc", {"shop/models.py": edited})
    assert check(repo)["findings"] == []


def test_new_field_or_meta_change_without_migration_warns(tmp_path):
    files = dict(DJANGO_BASE, **{"shop/models.py": MODELS})
    repo = project(tmp_path, files)
    repo.commit("feat(shop): table", {"shop/models.py": MODELS.replace('"orders"', '"order"')})
    assert rules(check(repo)) == [("MIG020", "shop/models.py")]


def test_sqlalchemy_column_change_warns_and_comment_does_not(tmp_path):
    sa_models = ("import sqlalchemy as sa\n\n\nclass User(Base):\n"
                 "    __tablename__ = 'users'\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    files = dict(DJANGO_BASE, **{"shop/models.py": sa_models})
    repo = project(tmp_path, files)
    repo.commit("docs: c", {"shop/models.py": "# users\n" + sa_models})
    assert check(repo)["findings"] == []
    repo.commit("feat: col", {"shop/models.py": sa_models + "    name = sa.Column(sa.Text)\n"})
    assert rules(check(repo)) == [("MIG020", "shop/models.py")]


def test_identical_base_and_head_blobs_are_parsed_once():
    from guard.checks.migrations import _index
    from guard.checks.migrations.detect import Place
    files = {p: v.encode() for p, v in DJANGO_BASE.items() if p.endswith(".py")}
    asked: list[str] = []

    def blobs_of(paths):
        asked.extend(paths)
        return {p: files[p] for p in paths if p in files}
    base_tree = {p: f"sha-{p}" for p in files}
    head_tree = dict(base_tree, **{"shop/migrations/0002_total.py": "sha-changed"})
    place = Place("django", "shop/migrations")
    memo: dict = {}
    base, _ = _index(place, base_tree, blobs_of, "postgres", memo)
    asked.clear()
    head, _ = _index(place, head_tree, blobs_of, "postgres", memo)
    assert asked == ["shop/migrations/0002_total.py"]
    assert [m.key for m in head] == [m.key for m in base]
