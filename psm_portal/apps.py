from django.apps import AppConfig


class PsmPortalConfig(AppConfig):
    name = "psm_portal"
    verbose_name = "Portal PSM"
