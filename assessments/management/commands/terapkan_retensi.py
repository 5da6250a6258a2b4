from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.retention import apply_retention
from psm_portal.office import current_office
from registry.retention import apply_psm_retention


class Command(BaseCommand):
    help = (
        "Terapkan masa retensi data pribadi (UU 27/2022 Pasal 42-44; jalankan harian, mis. dari "
        "cron/systemd): data pribadi kasus yang sudah ditutup lebih lama dari masa retensi "
        "dihapus, draf yang tidak disentuh selama masa itu dihapus, subjek tanpa kasus "
        "beridentitas dianonimkan, dan data pribadi PSM yang sudah berhenti lebih lama dari "
        "masa retensinya dihapus. Kedua masa retensi diatur di admin, Kantor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="hitung saja, jangan hapus")

    def handle(self, *args, dry_run=False, **options):
        office = current_office()
        case_years = office.retensi_kasus_tahun if office else None
        psm_years = office.retensi_psm_tahun if office else None
        if not case_years and not psm_years:
            raise CommandError(
                "Masa retensi belum diatur (admin: Kantor, 'masa retensi berkas kasus' dan 'masa "
                "retensi data pribadi PSM berhenti'). Tidak ada yang dihapus."
            )
        now = timezone.now()
        verb = "akan" if dry_run else "sudah"
        if case_years:
            result = apply_retention(years=case_years, now=now, dry_run=dry_run)
            self.stdout.write(
                f"Masa retensi {case_years} tahun: {result.cases} kasus ditutup {verb} "
                f"dianonimkan, {result.drafts} draf lama {verb} dihapus, {result.subjects} "
                f"subjek {verb} dianonimkan."
            )
        else:
            self.stdout.write("Masa retensi berkas kasus belum diatur: berkas kasus tidak diubah.")
        if psm_years:
            erased = apply_psm_retention(years=psm_years, now=now, dry_run=dry_run)
            self.stdout.write(
                f"Masa retensi data PSM {psm_years} tahun: data pribadi {erased} PSM berhenti "
                f"{verb} dihapus."
            )
        else:
            self.stdout.write("Masa retensi data pribadi PSM belum diatur: data PSM tidak diubah.")
