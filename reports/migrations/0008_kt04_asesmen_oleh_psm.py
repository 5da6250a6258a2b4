"""KT-04 counts the assessments PSM submitted (``indicators.office_figures``), not those the
office entered itself, but its name and explanation said every submitted assessment: a dashboard
of 29 assessments and 55 active PSM read "0,09 per PSM". The shipped text is corrected where the
office has not changed it."""

from django.db import migrations

SHIPPED = ("Asesmen PPKS per PSM aktif", "Asesmen yang diajukan dibagi jumlah PSM aktif")
CORRECTED = (
    "Asesmen PPKS oleh PSM per PSM aktif",
    "Asesmen yang diajukan PSM (tanpa yang dicatat dinas sendiri) dibagi jumlah PSM aktif",
)


def _replace(apps, old, new):
    Indikator = apps.get_model("reports", "Indikator")
    Indikator.objects.filter(kode="KT-04", nama=old[0]).update(nama=new[0])
    Indikator.objects.filter(kode="KT-04", penjelasan=old[1]).update(penjelasan=new[1])


def forwards(apps, schema_editor):
    _replace(apps, SHIPPED, CORRECTED)


def backwards(apps, schema_editor):
    _replace(apps, CORRECTED, SHIPPED)


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_sidik_dokumen")]

    operations = [migrations.RunPython(forwards, backwards)]
