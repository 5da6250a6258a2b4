from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from psm_portal.models import AuditEvent, Kantor, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Peran dan wilayah"), {"fields": ["role", "scope", "psm", "jabatan", "nip"]}),
    ]
    list_display = ["username", "nama_lengkap", "role", "is_active"]
    list_filter = ["role", "is_active"]
    autocomplete_fields = ["scope", "psm"]
    # Kept by the portal, not typed: a time of year 1 was saved as a year BC that PostgreSQL's
    # driver cannot read back, and the account could no longer log in.
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("nama lengkap"), ordering="first_name")
    def nama_lengkap(self, user):
        return user.get_full_name()


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record only the portal writes (a trail, a register): shown, never added, changed or
    deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "target_type", "target_label"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "target_label"]


@admin.register(Kantor)
class KantorAdmin(admin.ModelAdmin):
    autocomplete_fields = ["wilayah"]
