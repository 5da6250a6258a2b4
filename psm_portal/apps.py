from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PsmPortalConfig(AppConfig):
    default = True  # "psm_portal" in INSTALLED_APPS means this one, not the admin's below
    name = "psm_portal"
    verbose_name = "Portal PSM"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the portal's site, which guards every model's admin
    (``psm_portal.admin_site``). Named in INSTALLED_APPS in place of django.contrib.admin."""

    default = False  # named by its path in INSTALLED_APPS; Django's AdminConfig says True
    default_site = "psm_portal.admin_site.PortalAdminSite"
