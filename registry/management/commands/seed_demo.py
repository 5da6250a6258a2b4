from django.core.management.base import BaseCommand
from django.utils import timezone

from registry.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Isi data demo Kota Magelang (17 kelurahan, PSM semua status, satu akun per peran)."

    def handle(self, *args, **options):
        accounts = seed_demo(today=timezone.localdate())
        self.stdout.write(f"Akun demo (sandi untuk semua: {DEMO_PASSWORD}):")
        for username, role in accounts.items():
            self.stdout.write(f"  {username:<12} {role}")
