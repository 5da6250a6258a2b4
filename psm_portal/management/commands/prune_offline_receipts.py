import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from psm_portal.office import current_office
from psm_portal.offline import receipts_prune

# Receipts are kept for at least this long, and at least twice the office's draft expiry.
MIN_DAYS = 30


class Command(BaseCommand):
    help = (
        "Hapus tanda terima kiriman luring yang lama (jalankan harian, mis. dari cron/systemd). "
        "Disimpan sedikitnya 30 hari dan dua kali masa simpan draf di perangkat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hari", type=int, default=None, help="umur tanda terima (hari)")
        parser.add_argument("--dry-run", action="store_true", help="hitung saja, jangan hapus")

    def handle(self, *args, hari=None, dry_run=False, **options):
        office = current_office()
        floor = max(MIN_DAYS, 2 * (office.draf_offline_hari if office else 14))
        days = max(hari or floor, floor)
        n = receipts_prune(older_than=dt.timedelta(days=days), now=timezone.now(), dry_run=dry_run)
        verb = "akan dihapus" if dry_run else "dihapus"
        self.stdout.write(f"{n} tanda terima lebih dari {days} hari {verb}.")
