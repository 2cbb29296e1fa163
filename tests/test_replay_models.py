"""MIG020 as replayed on a large Django project (saleor): a pydantic payload class added to a
models.py is no table; a Django field or an SQLModel column beside it still is."""

from test_migrations_graph import DJANGO_BASE, MODELS
from test_migrations_sql import check, project, rules

PAYLOAD = ('\n\nclass TableData(StrictBaseModel):\n'
           '    """An EditorJS table block."""\n\n'
           '    with_headings: bool = False\n'
           '    content: list[list[str]] = []\n')


def test_pydantic_class_in_models_file_is_no_schema_change(tmp_path):
    files = dict(DJANGO_BASE, **{"shop/models.py": MODELS})
    repo = project(tmp_path, files)
    repo.commit("feat(shop): table blocks", {"shop/models.py": MODELS + PAYLOAD})
    assert check(repo)["findings"] == []


def test_django_field_beside_it_still_warns(tmp_path):
    files = dict(DJANGO_BASE, **{"shop/models.py": MODELS})
    repo = project(tmp_path, files)
    edited = MODELS.replace("    total = models", "    note = models.TextField()\n"
                                                 "    total = models") + PAYLOAD
    repo.commit("feat(shop): note", {"shop/models.py": edited})
    assert rules(check(repo)) == [("MIG020", "shop/models.py")]


def test_sqlmodel_annotated_column_still_warns(tmp_path):
    base = "from sqlmodel import Field, SQLModel\n\n\nclass Hero(SQLModel, table=True):\n" \
           "    id: int | None = Field(default=None, primary_key=True)\n"
    files = dict(DJANGO_BASE, **{"shop/models.py": base})
    repo = project(tmp_path, files)
    repo.commit("feat(shop): age", {"shop/models.py": base + "    age: int | None = None\n"})
    assert rules(check(repo)) == [("MIG020", "shop/models.py")]
