"""The portal's admin site: Django's, with the requests a fuzzing run found answered 500 by
Django's own admin views turned into what Django answers for other bad requests. The site puts
its guards (:class:`AdminGuards`) under every model's admin as it is registered, the libraries'
(axes, tasks) included, so no admin class has to remember them."""

import datetime as dt
import functools

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class _LastYearGuard:
    """Django bounds a date-hierarchy link by the next year, month or day without a guard: in
    year 9999 (its last month, its last day) there is none, and the list answered 500."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:
            year = self.params.get(f"{self.date_hierarchy}__year") if self.date_hierarchy else None
            try:
                in_the_last_year = year is not None and int(year) >= dt.MAXYEAR
            except ValueError:
                in_the_last_year = False
            if not in_the_last_year:
                raise  # not the date links: a fault to see, not a bad filter
            raise IncorrectLookupParameters(error) from error


@functools.cache
def _guarded(changelist_class):
    return type(changelist_class.__name__, (_LastYearGuard, changelist_class), {})


class AdminGuards(admin.ModelAdmin):
    """What the site adds under every model's admin (between it and Django's ModelAdmin)."""

    def get_changelist(self, request, **kwargs):
        return _guarded(super().get_changelist(request, **kwargs))

    def get_object(self, request, object_id, from_field=None):
        # "?_to_field=" left empty was taken as a field named "" (500); empty means the key.
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request, queryset, *args, **kwargs):
        # Django filters the selected rows by their keys as posted and failed reading them
        # (500) when one was not a key at all: refused like an action with nothing selected.
        # Only the key's type and range are checked (to_python, then its validators: a number's
        # range on this database, a text's length), not whether the row exists.
        key = self.opts.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                key.run_validators(key.to_python(value))
        except ValidationError:
            self.message_user(
                request,
                _("Baris yang dipilih tidak dikenal. Tidak ada yang diubah."),
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset, *args, **kwargs)


class PortalAdminSite(admin.AdminSite):
    # the portal's name, not "Administrasi Django"
    site_header = _("Administrasi Portal PSM")
    site_title = _("Portal PSM")
    index_title = _("Administrasi data portal")

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AdminGuards):
            admin_class = type(
                admin_class.__name__,
                (AdminGuards, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
