"""Permission mixins shared by the back office's ModelAdmins and inlines.

Records written by the services (histories, audit, generated documents) are
read in the back office and changed, when at all, through its actions. These
mixins say so once; put them before ``admin.ModelAdmin`` (or an inline) in the
bases. ``obj=None`` on ``has_add_permission`` serves both a ModelAdmin (called
with the request alone) and an inline (called with the parent object).
"""

import functools

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .formats import euros


@functools.cache
def money_column(model: type[models.Model], name: str):
    """A change list's column showing ``model.name`` (euros, two decimals) as every other
    screen writes amounts (« 1 234,56 € », ameli_portal.formats), sorted on the field."""
    field = model._meta.get_field(name)

    def column(obj):
        value = getattr(obj, name)
        return None if value is None else euros(value)  # None: the admin's « - », as for a field

    column.__name__ = name
    column.short_description = field.verbose_name  # type: ignore[attr-defined]
    column.admin_order_field = name  # type: ignore[attr-defined]
    return column


def is_money_field(field) -> bool:
    """An amount in euros: a DecimalField of two places with room for thousands. Rates
    (« taux », 4 digits: 0.70) and coefficients (6 digits) also have two places, and are
    not euros."""
    return isinstance(field, models.DecimalField) and field.decimal_places == 2 and field.max_digits >= 10


def is_money(model: type[models.Model], name) -> bool:
    if not isinstance(name, str):
        return False
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a method or an attribute of the admin: not a field
        return False
    return is_money_field(field)


def _money_read_only(model: type[models.Model], form_view) -> None:
    """Writes the read-only amounts of a change form (``helpers.AdminForm``) or of an inline
    (``helpers.InlineAdminFormSet``) the French way: each one is swapped, in the fieldsets and
    in the read-only names alike, for its change-list column (a callable, which Django's
    ``AdminReadonlyField`` calls with the object). Editable fields stay the form's inputs."""
    readonly = set(form_view.readonly_fields)
    if not getattr(form_view, "has_change_permission", True):  # an inline seen, not changed
        readonly.update(flatten_fieldsets(form_view.fieldsets))

    def swap(name):
        if isinstance(name, (list, tuple)):
            return type(name)(swap(n) for n in name)
        return money_column(model, name) if name in readonly and is_money(model, name) else name

    form_view.fieldsets = [
        (title, {**options, "fields": swap(options["fields"])}) for title, options in form_view.fieldsets
    ]
    form_view.readonly_fields = [swap(name) for name in form_view.readonly_fields]


class MoneyColumnsAdminMixin:
    """Amounts in change lists written the French way, with the thousands space and the sign:
    Django's admin writes a DecimalField « 1234,56 » (no grouping unless the whole site turns
    USE_THOUSAND_SEPARATOR on, which would also group every number in every template)."""

    def get_list_display(self, request):
        return [
            money_column(self.model, name) if is_money(self.model, name) else name
            for name in super().get_list_display(request)
        ]  # type: ignore[misc]

    def render_change_form(self, request, context, *args, **kwargs):
        """And on change forms: a read-only amount (a posted settlement, a payment, a ledger
        line, every field of a page seen without the change permission) reads « 1 234,56 € »
        too, where Django writes « 1234,56 »."""
        adminform = context.get("adminform")
        if adminform is not None:
            _money_read_only(self.model, adminform)  # type: ignore[attr-defined]
        for inline in context.get("inline_admin_formsets", ()):
            _money_read_only(inline.formset.model, inline)
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]


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
