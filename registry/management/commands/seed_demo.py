from django.core.management.base import BaseCommand
from django.utils import timezone

from assessments.demo import seed_cases
from registry.demo import DEMO_PASSWORD, DEMO_REGION, seed_demo
from reports.demo import seed_activities
from training.demo import seed_training


class Command(BaseCommand):
    help = (
        "Isi data demo Kota Magelang (17 kelurahan, PSM semua status, Bimtek, kasus PPKS, "
        "kegiatan, evaluasi, "
        "satu akun per peran)."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        accounts = seed_demo(today=today)
        seed_training(today=today, region=DEMO_REGION)
        seed_cases(today=today, region=DEMO_REGION)
        seed_activities(today=today, region=DEMO_REGION)
        self.stdout.write(f"Akun demo (sandi untuk semua: {DEMO_PASSWORD}):")
        for username, role in accounts.items():
            self.stdout.write(f"  {username:<12} {role}")
