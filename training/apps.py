from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Bimtek")

    def ready(self):
        from training import documents  # noqa: F401  (registers the background builders)
