from django.core.management.base import BaseCommand, CommandError

from benchmarks.synthetic import PRESETS, generate
from registry.models import Psm


class Command(BaseCommand):
    help = "Buat data sintetis realistis (preset: kabkota, provinsi, nasional) untuk benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--preset", choices=sorted(PRESETS), default="kabkota")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, preset, seed, **options):
        if Psm.objects.exists():
            raise CommandError(
                "Basis data sudah berisi PSM; pakai basis data kosong untuk benchmark."
            )
        timings = generate(preset, seed=seed, log=self.stdout.write)
        self.stdout.write(f"selesai: {timings}")
