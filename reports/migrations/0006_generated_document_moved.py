# GeneratedDocument now belongs to psm_portal (same table): forget it here, in the state only.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_cuplikan_dasbor"),
        ("psm_portal", "0005_generated_document"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="GeneratedDocument")],
            database_operations=[],
        ),
    ]
