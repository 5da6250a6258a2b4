from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class PsmPortalConfig(AppConfig):
    default = True  # "psm_portal" in INSTALLED_APPS means this one, not the admin's below
    name = "psm_portal"
    verbose_name = "Portal PSM"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the portal's site, which guards every model's admin
    (``psm_portal.admin_site``). Named in INSTALLED_APPS in place of django.contrib.admin."""

    default = False  # named by its path in INSTALLED_APPS; Django's AdminConfig says True
    default_site = "psm_portal.admin_site.PortalAdminSite"


class TasksConfig(TasksAppConfig):
    """django-tasks-db, named in the admin in the portal's language ("Tasks Database Backend"
    stood in English among the Indonesian sections). Named in INSTALLED_APPS in its place."""

    default = False
    verbose_name = _("Antrean tugas latar belakang")
