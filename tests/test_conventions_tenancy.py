"""conventions: multi-tenancy (architecture.multi_tenancy), TENANT001-004, on real
repositories: SQL, Alembic, Django, SQLAlchemy and Prisma as teams write them."""

import json

import pytest

from gitrepo import BACKEND_CONFIG, backend_project, run_guard

TENANCY = "architecture:\n  multi_tenancy:\n    tenant_column: tenant_id\n" \
          "    exempt: [countries]\n"


def _repo(tmp_path, extra: str = "", base_files: dict | None = None):
    config = BACKEND_CONFIG.replace("guard:\n", TENANCY + extra + "guard:\n", 1)
    return backend_project(str(tmp_path / "p"), config=config, extra=base_files)


def _check(repo):
    res = run_guard("check", "--only", "conventions", "--base", "main", "--format", "json",
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    data = json.loads(res.out)
    return [f for f in data["findings"] if f["rule"].startswith("TENANT")], res


def _at(findings):
    return sorted((f["rule"], f["path"], f["line"]) for f in findings)


def test_sql_table_without_tenant_column_and_the_exempt_one(tmp_path):
    repo = _repo(tmp_path)
    repo.commit("feat(db): invoices", {
        "migrations/0002_invoices.sql": "-- invoices\nCREATE TABLE invoices (\n"
                                        "  id bigserial PRIMARY KEY,\n  total numeric,\n"
                                        "  CONSTRAINT total_positive CHECK (total > 0)\n);\n"
                                        "CREATE TABLE countries (code text PRIMARY KEY);\n"
                                        "CREATE TABLE IF NOT EXISTS \"payments\" (id int, "
                                        "tenant_id int NOT NULL);\n"})
    found, res = _check(repo)
    assert res.code == 1
    assert _at(found) == [("TENANT001", "migrations/0002_invoices.sql", 2)]
    assert "new table invoices has no tenant column tenant_id" in found[0]["message"]
    assert "company.config.yaml:" in found[0]["message"]


def test_column_added_later_in_the_branch_counts(tmp_path):
    repo = _repo(tmp_path)
    repo.commit("feat(db): invoices", {
        "migrations/0002_invoices.sql": "CREATE TABLE invoices (id int);\n",
        "migrations/0003_tenant.sql": "ALTER TABLE invoices ADD COLUMN tenant_id int;\n"})
    found, _ = _check(repo)
    assert found == []


def test_rls_required_when_configured(tmp_path):
    repo = _repo(tmp_path, extra="")
    config_rls = TENANCY + "    rls: true\n"
    repo = backend_project(str(tmp_path / "r"),
                           config=BACKEND_CONFIG.replace("guard:\n", config_rls + "guard:\n"))
    repo.commit("feat(db): tables", {
        "migrations/0002_a.sql": "CREATE TABLE invoices (id int, tenant_id int NOT NULL);\n",
        "migrations/0003_b.sql": "CREATE TABLE notes (id int, tenant_id int NOT NULL);\n"
                                 "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n"
                                 "CREATE POLICY tenant_isolation ON notes USING "
                                 "(tenant_id = current_setting('app.tenant')::int);\n",
        "src/server/q.py": "def f(cur):\n    cur.execute(\"SELECT * FROM invoices\")\n"})
    found, res = _check(repo)
    assert res.code == 1
    assert _at(found) == [("TENANT002", "migrations/0002_a.sql", 1)]
    assert "without ENABLE ROW LEVEL SECURITY and CREATE POLICY" in found[0]["message"]


def test_django_model_and_its_migration_are_one_finding(tmp_path):
    repo = _repo(tmp_path)
    models = ("from django.db import models\n\n\n"
              "class Tenant(models.Model):\n    name = models.TextField()\n\n\n"
              "class Invoice(models.Model):\n    total = models.DecimalField()\n\n\n"
              "class Note(models.Model):\n"
              "    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)\n")
    migration = ("from django.db import migrations, models\n\n\n"
                 "class Migration(migrations.Migration):\n"
                 "    operations = [\n"
                 "        migrations.CreateModel(name='Invoice', fields=[\n"
                 "            ('id', models.AutoField(primary_key=True)),\n"
                 "            ('total', models.DecimalField()),\n        ]),\n    ]\n")
    repo.commit("feat(billing): invoices", {"src/server/billing/models.py": models,
                                            "src/server/billing/migrations/0001_initial.py":
                                                migration})
    found, _ = _check(repo)
    assert _at(found) == [("TENANT001", "src/server/billing/models.py", 8)]


def test_alembic_create_table(tmp_path):
    repo = _repo(tmp_path)
    repo.commit("feat(db): invoices", {"migrations/versions/a1_invoices.py": (
        "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'a1'\n"
        "down_revision = None\n\n\ndef upgrade():\n"
        "    op.create_table('invoices', sa.Column('id', sa.Integer), "
        "sa.Column('total', sa.Numeric))\n"
        "    op.create_table('notes', sa.Column('id', sa.Integer), "
        "sa.Column('tenant_id', sa.Integer))\n")})
    found, _ = _check(repo)
    assert _at(found) == [("TENANT001", "migrations/versions/a1_invoices.py", 9)]


SQLA = """\
from sqlalchemy import select


def open_invoices(session):
    return session.scalars(select(Invoice).where(Invoice.status == "open")).all()


def mine(session, tenant_id):
    return session.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id)).all()


def built_up(session, tenant_id):
    stmt = select(Invoice)
    stmt = stmt.where(Invoice.tenant_id == tenant_id)
    return session.scalars(stmt).all()


def legacy(session):
    return session.query(Invoice).filter_by(status="open").all()


def global_data(session):
    return session.scalars(select(Country)).all()
"""


def test_sqlalchemy_queries(tmp_path):
    repo = _repo(tmp_path)
    repo.commit("feat(api): invoices", {"src/server/invoices.py": SQLA})
    found, res = _check(repo)
    assert res.code == 0          # warnings only
    assert _at(found) == [("TENANT003", "src/server/invoices.py", 5),
                          ("TENANT003", "src/server/invoices.py", 19)]
    assert "select(Invoice) queries tenant-scoped Invoice" in found[0]["message"]


def test_django_queries_and_raw_sql(tmp_path):
    code = ("def views(request, cursor):\n"
            "    a = Invoice.objects.filter(status='open').order_by('id')\n"
            "    b = Invoice.objects.filter(tenant=request.tenant, status='open')\n"
            "    c = Invoice.tenant_objects.all()\n"
            "    cursor.execute(\"SELECT * FROM invoices WHERE status = %s\", ['open'])\n"
            "    cursor.execute(\"SELECT * FROM invoices WHERE tenant_id = %s\", [1])\n"
            "    return a, b, c\n")
    repo = _repo(tmp_path)
    repo.commit("feat(api): views", {"src/server/views.py": code})
    found, _ = _check(repo)
    assert _at(found) == [("TENANT003", "src/server/views.py", 2),
                          ("TENANT004", "src/server/views.py", 5)]
    assert "Invoice.objects.filter()" in found[0]["message"]


def test_prisma_schema_and_queries(tmp_path):
    schema = ("model Invoice {\n  id Int @id\n  total Decimal\n}\n\n"
              "model Note {\n  id Int @id\n  tenantId Int\n  @@map(\"notes\")\n}\n")
    code = ("export async function list(prisma, tenantId) {\n"
            "  const a = await prisma.invoice.findMany({ where: { status: 'open' } });\n"
            "  const b = await prisma.invoice.findMany({ where: { tenantId, status: 'open' } "
            "});\n"
            "  // prisma.invoice.findMany() in a comment\n"
            "  return [a, b];\n}\n")
    repo = _repo(tmp_path)
    repo.commit("feat(db): invoices", {"prisma/schema.prisma": schema,
                                       "src/server/list.ts": code})
    found, _ = _check(repo)
    assert _at(found) == [("TENANT001", "prisma/schema.prisma", 1),
                          ("TENANT003", "src/server/list.ts", 2)]


def test_only_what_the_branch_changed(tmp_path):
    base = {"src/server/views.py": "def f():\n    return Invoice.objects.all()\n"}
    repo = _repo(tmp_path, base_files=base)
    repo.commit("fix(api): other line", {
        "src/server/views.py": "def f():\n    return Invoice.objects.all()\n\n\nX = 1\n"})
    found, _ = _check(repo)
    assert found == []


def test_not_configured_raises_nothing(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(db): invoices", {"migrations/0002.sql": "CREATE TABLE invoices (id int);\n",
                                       "src/server/v.py": "x = Invoice.objects.all()\n"})
    found, _ = _check(repo)
    assert found == []


@pytest.mark.parametrize("snippet, message", [
    ("    tenant_colum: x\n", "did you mean 'tenant_column'"),
    ("    strategy: rows\n", "architecture.multi_tenancy.strategy is 'rows'"),
    ("    tenant_column: \"tenant id\"\n", "is not a column name"),
    ("    rls: maybe\n", "architecture.multi_tenancy.rls must be true or false"),
])
def test_bad_settings_are_exit_2_with_their_line(tmp_path, snippet, message):
    config = BACKEND_CONFIG.replace("guard:\n", "architecture:\n  multi_tenancy:\n" + snippet +
                                    "guard:\n", 1)
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat(api): x", {"src/server/x.py": "x = 1\n"})
    res = run_guard("check", "--only", "conventions", "--base", "main", cwd=repo.path)
    assert res.code == 2, res.err
    assert res.err.startswith("guard: error: company.config.yaml:"), res.err
    assert message in res.err and "Traceback" not in res.err
