"""A hostile branch, more of issue 20: export-ignore and --verify-migrations (point 2),
folders a thousand levels deep (point 7), a forbidden change reverted inside the range
(point 11)."""

from __future__ import annotations

import os

from test_migrations_sql import GOLANG_BASE, check, project
from test_migrations_verify import LEAKY


# -- point 2: the branch's .gitattributes does not hide its own migrations -----------------
def test_export_ignore_on_the_branch_does_not_hide_a_leaky_down_step(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): items", dict(LEAKY, **{
        ".gitattributes": "db/migrations/* export-ignore\n*.sql filter=hide eol=crlf\n"}))
    data = check(repo, "--verify-migrations")
    rules = {f["rule"] for f in data["findings"]}
    assert "MIG030" in rules, data["findings"]


def test_export_ignore_does_not_hide_a_django_migration_from_the_round_trip(tmp_path):
    from test_migrations_frameworks import django_mig
    from test_migrations_verify import django_project, verify
    repo = django_project(tmp_path)
    repo.commit("feat(shop): index", {
        ".gitattributes": "shop/migrations/0002_idx.py export-ignore\n",
        "shop/migrations/0002_idx.py": django_mig(
            [("shop", "0001_initial")],
            ["migrations.RunSQL('CREATE INDEX shop_order_total ON shop_order (total)', "
             "reverse_sql='')"])})
    data = verify(repo)
    assert "MIG030" in {f["rule"] for f in data["findings"]}, data["findings"]
