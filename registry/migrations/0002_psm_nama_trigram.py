"""Partial-name search on PostgreSQL: a trigram GIN index makes ``nama_cari LIKE '%term%'`` use an
index instead of scanning every PSM. SQLite keeps the plain index from 0001 (a working fallback)."""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS registry_psm_nama_cari_trgm "
        "ON registry_psm USING gin (nama_cari gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS registry_psm_nama_cari_trgm")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
