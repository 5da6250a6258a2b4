from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.retention import apply_retention
from psm_portal.office import current_office


class Command(BaseCommand):
    help = (
        "Terapkan masa retensi berkas kasus (UU 27/2022 Pasal 42-44; jalankan harian, mis. dari "
        "cron/systemd): data pribadi kasus yang sudah ditutup lebih lama dari masa retensi "
        "dihapus, draf yang tidak disentuh selama masa itu dihapus, dan subjek tanpa kasus "
        "beridentitas dianonimkan. Masa retensi diatur di admin, Kantor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="hitung saja, jangan hapus")

    def handle(self, *args, dry_run=False, **options):
        office = current_office()
        years = office.retensi_kasus_tahun if office else None
        if not years:
            raise CommandError(
                "Masa retensi berkas kasus belum diatur (admin: Kantor, 'masa retensi berkas "
                "kasus'). Tidak ada yang dihapus."
            )
        result = apply_retention(years=years, now=timezone.now(), dry_run=dry_run)
        verb = "akan" if dry_run else "sudah"
        self.stdout.write(
            f"Masa retensi {years} tahun: {result.cases} kasus ditutup {verb} dianonimkan, "
            f"{result.drafts} draf lama {verb} dihapus, {result.subjects} subjek {verb} "
            "dianonimkan."
        )
