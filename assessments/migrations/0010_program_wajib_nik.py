from django.db import migrations, models


def set_nik_rule(apps, schema_editor):
    from assessments.reference import PROGRAM_WAJIB_NIK

    Program = apps.get_model("assessments", "Program")
    Program.objects.filter(kode__in=PROGRAM_WAJIB_NIK).update(wajib_nik=True)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0009_asesmen_skor_kebutuhan"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="wajib_nik",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Centang bila program hanya menerima orang yang NIK-nya tercatat di "
                    "Dukcapil: subjek tanpa NIK tidak dapat dirujuk ke program ini."
                ),
                verbose_name="mensyaratkan NIK",
            ),
        ),
        migrations.RunPython(set_nik_rule, migrations.RunPython.noop),
    ]
