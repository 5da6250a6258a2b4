from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from psm_portal import audit
from psm_portal.models import AuditEvent, InsidenData, Kantor, User


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

    # An account's role, regions and PSM decide what it reads (specific personal data among
    # it): each grant or change is in the portal's trail (UU 27/2022 Pasal 31), with its values,
    # which Django's own admin log does not keep.
    def save_model(self, request, obj, form, change):
        obj._account_before = _account(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        before, after = getattr(user, "_account_before", None), _account(user)
        if before is None:
            _account_event(request.user, "akun.create", user, after=after)
            return
        old, new = audit.changed(before, after)
        if new:
            _account_event(request.user, "akun.update", user, before=old, after=new)

    def delete_model(self, request, obj):
        _account_event(request.user, "akun.delete", obj, before=_account(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            _account_event(request.user, "akun.delete", user, before=_account(user))
        super().delete_queryset(request, queryset)


# What an account may do and read: recorded when the admin grants or changes it.
_ACCOUNT_FIELDS = ["username", "role", "psm", "is_active", "is_staff", "is_superuser"]


def _account(user) -> dict:
    return {
        **audit.snapshot(user, _ACCOUNT_FIELDS, masked=False),
        "scope": sorted(user.scope.values_list("kode", flat=True)),
    }


def _account_event(by, action: str, user, *, before=None, after=None) -> None:
    audit.record(
        by=by, action=action, target=user, target_label=user.username, before=before, after=after
    )


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
    list_display = [
        "created_at",
        "actor_label",
        "actor_role",
        "action",
        "target_type",
        "target_label",
    ]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "target_label"]


class StoredFileWidget(AdminFileWidget):
    """The admin's file input without a link to the stored file: /media/ is not served (every
    file goes through a view that checks who asks), so the link led to a 404. Its template lives
    in this app's templates, where the form renderer looks."""

    template_name = "psm_portal/stored_file_input.html"


class ChangesAudited:
    """An admin whose every save goes into the audit trail with the values it changed (Django's
    own change log names the fields only), in the change view's transaction: the row and its
    entry, or neither. ``audit_action`` names the entry ("kantor": kantor.create/update)."""

    audit_action = ""

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk), masked=False) if change else {}
        super().save_model(request, obj, form, change)
        old, new = audit.changed(before, audit.snapshot(obj, masked=False))
        if new or not change:
            audit.record(
                by=request.user,
                action=f"{self.audit_action}.{'update' if change else 'create'}",
                target=obj,
                target_label=self.audit_label(obj),
                before=old or None,
                after=new,
            )

    def audit_label(self, obj) -> str:
        return str(obj)


@admin.register(Kantor)
class KantorAdmin(ChangesAudited, admin.ModelAdmin):
    """The office's settings: they decide who reads what (the kecamatan step gives its verifiers
    a case's specific data) and how long files are kept, so each change is audited."""

    audit_action = "kantor"
    autocomplete_fields = ["wilayah"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("retensi_kasus_tahun", "retensi_psm_tahun"):  # bounds in the input
            kwargs.update(min_value=1, max_value=100)
        if db_field.name == "logo":
            kwargs["widget"] = StoredFileWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(InsidenData)
class InsidenDataAdmin(ChangesAudited, admin.ModelAdmin):
    """The breach register: added and kept up to date, never deleted (it is the office's record
    of having met Pasal 46)."""

    list_display = ["diketahui_pada", "ringkasan", "batas", "pemberitahuan", "ditutup_pada"]
    date_hierarchy = "diketahui_pada"
    readonly_fields = ["batas", "dicatat_oleh", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["diketahui_pada", "terjadi_pada", "batas", "uraian"]}),
        (
            _("Data dan orang terdampak"),
            {"fields": ["data_terdampak", "data_spesifik", "jumlah_orang"]},
        ),
        (
            _("Penanganan dan pemberitahuan"),
            {
                "fields": [
                    "penanganan",
                    "subjek_diberitahu_pada",
                    "lembaga_diberitahu_pada",
                    "diumumkan_pada",
                    "ditutup_pada",
                ]
            },
        ),
        (_("Catatan"), {"fields": ["dicatat_oleh", "created_at", "updated_at"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    # Each save audited with its values: a notice time moved afterwards shows who moved it,
    # and from what.
    audit_action = "insiden"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.dicatat_oleh = request.user
        super().save_model(request, obj, form, change)

    def audit_label(self, obj) -> str:
        return f"Insiden #{obj.pk}"

    @admin.display(description=_("insiden"))
    def ringkasan(self, obj):
        return Truncator(str(obj)).chars(60)

    @admin.display(description=_("batas pemberitahuan (3 × 24 jam)"))
    def batas(self, obj):
        deadline = obj.batas_pemberitahuan
        if deadline is None:
            return "-"
        shown = date_format(timezone.localtime(deadline), "SHORT_DATETIME_FORMAT")
        if obj.notices_late(timezone.now()):
            return format_html('{} <strong class="errornote">{}</strong>', shown, _("lewat"))
        return shown

    @admin.display(description=_("pemberitahuan tertulis"))
    def pemberitahuan(self, obj):
        late = obj.notices_late(timezone.now())
        if late:
            return format_html(
                '<strong class="errornote">{}</strong>', _("terlambat: %s") % ", ".join(late)
            )
        if obj.subjek_diberitahu_pada and obj.lembaga_diberitahu_pada:
            return _("sudah, tepat waktu")
        return _("belum")
