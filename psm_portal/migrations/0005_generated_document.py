# The background-document model moves from reports to psm_portal (every app builds documents);
# its table keeps its name, so nothing changes in the database.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("psm_portal", "0004_offline"),
        ("reports", "0005_cuplikan_dasbor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="GeneratedDocument",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="diminta")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="diperbarui")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="selesai")),
                        ("jenis", models.CharField(max_length=64, verbose_name="jenis")),
                        ("judul", models.CharField(max_length=300, verbose_name="judul")),
                        ("params", models.JSONField(blank=True, default=dict, verbose_name="parameter")),
                        ("status", models.CharField(choices=[("antre", "Menunggu giliran"), ("proses", "Sedang dibuat"), ("selesai", "Selesai"), ("gagal", "Gagal")], default="antre", max_length=8, verbose_name="status")),
                        ("selesai", models.PositiveIntegerField(default=0, verbose_name="bagian selesai")),
                        ("total", models.PositiveIntegerField(default=0, verbose_name="jumlah bagian")),
                        ("task_id", models.CharField(blank=True, max_length=64, verbose_name="ID tugas")),
                        ("berkas", models.FileField(blank=True, upload_to="dokumen/%Y/%m/", verbose_name="berkas")),
                        ("nama_berkas", models.CharField(blank=True, max_length=200, verbose_name="nama berkas")),
                        ("content_type", models.CharField(blank=True, max_length=100)),
                        ("pesan_galat", models.TextField(blank=True, verbose_name="pesan galat")),
                        ("diminta_oleh", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="diminta oleh")),
                    ],
                    options={
                        "verbose_name": "dokumen latar",
                        "verbose_name_plural": "dokumen latar",
                        "db_table": "reports_generateddocument",
                        "ordering": ["-created_at"],
                        "indexes": [models.Index(fields=["diminta_oleh", "-created_at"], name="reports_gen_diminta_714406_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
