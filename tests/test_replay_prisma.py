"""Replayed on a Prisma project (documenso): a pull request merged after a newer migration
landed adds an older-stamped folder; `prisma migrate deploy` applies it anyway."""

from test_migrations_sql import check, project

BASE = {
    "packages/prisma/schema.prisma": "datasource db { provider = \"postgresql\" }\n",
    "packages/prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
    "packages/prisma/migrations/20260101000000_init/migration.sql":
        "CREATE TABLE \"Recipient\" (id int);\n",
    "packages/prisma/migrations/20260604143030_add_email_transports/migration.sql":
        "CREATE TABLE \"EmailTransport\" (id int);\n",
}


def test_older_stamped_prisma_migration_is_info_not_error(tmp_path):
    repo = project(tmp_path, BASE)
    path = "packages/prisma/migrations/20260525103410_add_signature_level/migration.sql"
    repo.commit("feat(db): signature level", {
        path: "-- rollback: DROP TABLE \"SignatureLevel\";\n"
              "CREATE TABLE \"SignatureLevel\" (id int);\n"})
    data = check(repo)
    [finding] = [f for f in data["findings"] if f["rule"] == "MIG003"]
    assert finding["severity"] == "info" and finding["path"] == path
    assert "still applies it" in finding["message"]
    # in Prisma's words: a migration folder and its timestamp, not a version to renumber
    assert "migration folder 20260525103410_add_signature_level is timestamped before " \
        "20260604143030" in finding["message"]
    assert "version" not in finding["message"] and "renumber" not in finding["hint"]
    assert "prisma migrate dev" in finding["hint"]
    assert not data["failed"]
