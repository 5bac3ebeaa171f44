"""Permission mixins shared by the back office's ModelAdmins and inlines.

Records written by the services (histories, audit, generated documents) are
read in the back office and changed, when at all, through its actions. These
mixins say so once; put them before ``admin.ModelAdmin`` (or an inline) in the
bases. ``obj=None`` on ``has_add_permission`` serves both a ModelAdmin (called
with the request alone) and an inline (called with the parent object).
"""

import functools

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .formats import euros


@functools.cache
def money_column(model: type[models.Model], name: str):
    """A change list's column showing ``model.name`` (euros, two decimals) as every other
    screen writes amounts (« 1 234,56 € », ameli_portal.formats), sorted on the field."""
    field = model._meta.get_field(name)

    def column(obj):
        return euros(getattr(obj, name))

    column.__name__ = name
    column.short_description = field.verbose_name  # type: ignore[attr-defined]
    column.admin_order_field = name  # type: ignore[attr-defined]
    return column


def is_money(model: type[models.Model], name) -> bool:
    if not isinstance(name, str):
        return False
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a method or an attribute of the admin: not a field
        return False
    return isinstance(field, models.DecimalField) and field.decimal_places == 2


class MoneyColumnsAdminMixin:
    """Amounts in change lists written the French way, with the thousands space and the sign:
    Django's admin writes a DecimalField « 1234,56 » (no grouping unless the whole site turns
    USE_THOUSAND_SEPARATOR on, which would also group every number in every template)."""

    def get_list_display(self, request):
        return [
            money_column(self.model, name) if is_money(self.model, name) else name
            for name in super().get_list_display(request)
        ]  # type: ignore[misc]


class NoAddDeleteAdminMixin:
    """Created by the services, never by hand; never deleted from the back office."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin(NoAddDeleteAdminMixin):
    """Staff read; nobody adds, changes or deletes."""

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """History kept by the services: staff read it, never edit it by hand."""

    extra = 0
    can_delete = False
    show_change_link = False


class AssignedFilter(admin.SimpleListFilter):
    """A worklist's « mine / nobody's » filter on ``assigned_to``; subclasses give the words."""

    title = "conseiller"
    parameter_name = "conseiller"
    mine, nobody = "Assignés à moi", "Non assignés"

    def lookups(self, request, model_admin):
        return [("moi", self.mine), ("personne", self.nobody)]

    def queryset(self, request, queryset):
        if self.value() == "moi":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "personne":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class StaffAssigneeAdminMixin:
    """``assigned_to`` offers the caisse's active agents only, by login."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                is_staff=True, is_active=True
            ).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
