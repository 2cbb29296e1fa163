"""MIG109 as replayed on a large Django project (saleor): an AlterField that only changes a
field's `choices` (0058_alter_attribute_type) changes no column."""

from test_migrations_frameworks import DJANGO_BASE, django_mig
from test_migrations_sql import check, project, rules

TYPE = "models.CharField(max_length=50, choices=[{choices}]{extra})"
BASE = dict(DJANGO_BASE, **{"shop/migrations/0003_kind.py": django_mig(
    [("shop", "0002_total")],
    ["migrations.AddField(model_name='order', name='kind', field="
     + TYPE.format(choices="('a', 'A')", extra="") + ")"])})


def alter(tmp_path, name, field):
    repo = project(tmp_path / name, BASE)
    repo.commit("feat(shop): kind", {f"shop/migrations/0004_{name}.py": django_mig(
        [("shop", "0003_kind")],
        [f"migrations.AlterField(model_name='order', name='kind', field={field})"])})
    return rules(check(repo))


def test_alterfield_of_choices_only_is_no_mig109(tmp_path):
    assert alter(tmp_path, "choices", TYPE.format(choices="('a', 'A'), ('b', 'B')",
                                                   extra=", db_index=True")) == []


def test_alterfield_that_changes_the_column_keeps_mig109(tmp_path):
    widened = TYPE.format(choices="('a', 'A')", extra="").replace("50", "200")
    assert alter(tmp_path, "widen", widened) == [("MIG109", "shop/migrations/0004_widen.py")]
    nullable = TYPE.format(choices="('a', 'A')", extra=", null=True")
    assert alter(tmp_path, "null", nullable) == [("MIG109", "shop/migrations/0004_null.py")]


def test_previous_definition_in_separate_database_and_state(tmp_path):
    """saleor's attribute app was split out of product: its 0001_initial declares the models
    in a class-level `state_operations` list run through SeparateDatabaseAndState."""
    initial = ("from django.db import migrations, models\n\n\n"
               "class Migration(migrations.Migration):\n"
               "    dependencies = []\n"
               "    state_operations = [\n"
               "        migrations.CreateModel(name='Attribute', fields=[\n"
               "            ('id', models.AutoField(primary_key=True)),\n"
               "            ('type', " + TYPE.format(choices="('a', 'A')", extra="") + ")]),\n"
               "    ]\n"
               "    operations = [migrations.SeparateDatabaseAndState("
               "state_operations=state_operations)]\n")
    files = {"catalog/__init__.py": "", "catalog/models.py": "from django.db import models\n",
             "catalog/migrations/__init__.py": "",
             "catalog/migrations/0001_initial.py": initial}
    repo = project(tmp_path, files)
    repo.commit("feat(catalog): kinds", {"catalog/migrations/0002_alter_attribute_type.py":
        django_mig([("catalog", "0001_initial")],
                   ["migrations.AlterField(model_name='attribute', name='type', field="
                    + TYPE.format(choices="('a', 'A'), ('b', 'B')", extra="") + ")"])})
    assert rules(check(repo)) == []
