"""The portal's admin site: Django's, with the requests a fuzzing run found answered 500 by
Django's own admin views turned into what Django answers for other bad requests. The site puts
the guards under every model's admin as it is registered, the libraries' (axes, tasks) included,
so no admin class has to remember them."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class _DatesInRangeChangeList(ChangeList):
    """Django reads a date-hierarchy link's next year, month or day without a guard: year 9999
    (or its last month or day) has none, and the list answered 500."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


class PortalAdmin(admin.ModelAdmin):
    """What the site adds to every model's admin."""

    def get_changelist(self, request, **kwargs):
        return _DatesInRangeChangeList

    def get_object(self, request, object_id, from_field=None):
        # "?_to_field=" left empty was taken as a field named "" (500); empty means the key.
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request, queryset, *args, **kwargs):
        # Django filters the selected rows by their keys as posted and failed reading them
        # (500) when one was not a key at all: refused like an action with nothing selected.
        key = self.opts.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                key.clean(value, None)
        except ValidationError:
            self.message_user(
                request,
                _("Baris yang dipilih tidak dikenal. Tidak ada yang diubah."),
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset, *args, **kwargs)


class PortalAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, PortalAdmin):
            admin_class = type(
                admin_class.__name__,
                (PortalAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
