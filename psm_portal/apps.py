from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PsmPortalConfig(AppConfig):
    name = "psm_portal"
    verbose_name = "Portal PSM"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the portal's site, which guards every model's admin
    (``psm_portal.admin_site``). Named in INSTALLED_APPS in place of django.contrib.admin."""

    default = False  # this module's default configuration stays the portal's own

    default_site = "psm_portal.admin_site.PortalAdminSite"
