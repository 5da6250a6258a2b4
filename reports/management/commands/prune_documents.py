from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from psm_portal.background import documents_prune


class Command(BaseCommand):
    help = (
        "Hapus dokumen latar (rekap, bundel sertifikat, ekspor) beserta berkasnya yang selesai "
        "lebih dari PSM_DOCUMENT_KEEP_DAYS hari lalu (jalankan harian, mis. dari cron/systemd)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="hitung saja, jangan hapus")

    def handle(self, *args, dry_run=False, **options):
        n = documents_prune(now=timezone.now(), dry_run=dry_run)
        verb = "akan dihapus" if dry_run else "dihapus"
        days = settings.PSM_DOCUMENT_KEEP_DAYS
        self.stdout.write(f"{n} dokumen yang selesai lebih dari {days} hari lalu {verb}.")
