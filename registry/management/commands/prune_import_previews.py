import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from registry.importer import prune_abandoned_previews


class Command(BaseCommand):
    help = (
        "Batalkan pratinjau impor daftar PSM yang ditinggalkan (tidak disimpan dan tidak "
        "dibatalkan) dan hapus baris-barisnya, yang berisi NIK dan alamat (jalankan harian)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--jam", type=int, default=24, help="umur pratinjau (jam)")
        parser.add_argument("--dry-run", action="store_true", help="hitung saja, jangan hapus")

    def handle(self, *args, jam=24, dry_run=False, **options):
        hours = max(jam, 1)
        n = prune_abandoned_previews(
            older_than=dt.timedelta(hours=hours), now=timezone.now(), dry_run=dry_run
        )
        verb = "akan dibatalkan" if dry_run else "dibatalkan, barisnya dihapus"
        self.stdout.write(f"{n} pratinjau impor lebih dari {hours} jam {verb}.")
