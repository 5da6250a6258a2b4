from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registri PSM")

    def ready(self):
        from registry import exports  # noqa: F401  (registers the background XLSX export)
