from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Asesmen PPKS")

    def ready(self):
        from assessments import exports  # noqa: F401  (registers the background XLSX export)
