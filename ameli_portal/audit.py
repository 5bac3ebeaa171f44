"""Audit trail of staff access to insured data: who saw or changed what, with old and new values.

Every ModelAdmin of the back office is audited: ``PortalAdminSite.register`` mixes
``AuditedAdminMixin`` into each one, the third-party ones (users, groups, sessions, MFA)
included, so a model registered tomorrow is covered without anyone remembering.
"""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.db.models import Model
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from .admin_tools import MoneyColumnsAdminMixin, ReadOnlyAdminMixin
from .models import AuditEvent

# Values never copied into the trail: the change is recorded, not the secret.
SECRET_HINTS = ("password", "secret", "token", "hash")
LIST_IDS_MAX = 200


def audit(
    *,
    actor,
    action: str,
    obj: Model | None = None,
    model: type[Model] | None = None,
    summary: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """One row of the trail, about an object (``obj``) or a kind of object (``model``, a list)."""
    meta = (obj if obj is not None else model)._meta
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=meta.label_lower,
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        changes=changes or {},
    )


def plain(value):
    """A value as the trail keeps it: text (objects by their key), lists sorted, None kept."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set) or hasattr(value, "model"):  # lists and querysets
        return sorted(str(plain(item)) for item in value)
    return str(value)


def is_secret(field_name: str) -> bool:
    return any(hint in field_name for hint in SECRET_HINTS)


def value_changes(old: dict, new: dict) -> dict:
    """{field: [old, new]} for the fields whose value differs; secrets are not copied."""
    changes = {}
    for name in sorted(set(old) | set(new)):
        before, after = plain(old.get(name)), plain(new.get(name))
        if before != after:
            changes[name] = ["…", "(modifié)"] if is_secret(name) else [before, after]
    return changes


def form_changes(form, *, skip=()) -> dict:
    names = [name for name in form.changed_data if name not in skip]
    return value_changes(
        {n: form.initial.get(n) for n in names}, {n: form.cleaned_data.get(n) for n in names}
    )


class AuditedAdminMixin(MoneyColumnsAdminMixin):
    """Record every staff list, view, change and deletion in the admin, with the values (and,
    as every ModelAdmin of the back office is one, show its amounts the French way)."""

    # Fields whose change a service records itself (with its reason): not recorded twice.
    audit_skip_fields: tuple[str, ...] = ()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            # Evaluates the page's rows once; the template then reuses them.
            ids = [str(row.pk) for row in changelist.result_list][:LIST_IDS_MAX]
            audit(
                actor=request.user,
                action="list",
                model=self.model,
                summary=request.GET.urlencode(),
                changes={"ids": ids},
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, admin.utils.unquote(object_id))
            if obj is not None:
                audit(actor=request.user, action="view", obj=obj)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            obj = self.get_object(request, admin.utils.unquote(object_id))
            if obj is not None:
                audit(actor=request.user, action="history", obj=obj)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changes = form_changes(form, skip=self.audit_skip_fields)
        if changes or not change:
            audit(
                actor=request.user,
                action="change" if change else "create",
                obj=obj,
                summary=f"champs : {', '.join(changes)}" if changes else "",
                changes=changes,
            )

    def save_formset(self, request, form, formset, change):
        """Inline rows (coverage periods, exemptions, children...) are audited one by one."""
        deleted, changed = [], []
        for inline_form in formset.forms:
            if not hasattr(inline_form, "cleaned_data"):
                continue
            if inline_form.cleaned_data.get("DELETE") and inline_form.instance.pk:
                deleted.append(inline_form.instance)
            elif inline_form.has_changed():
                changed.append((inline_form, inline_form.instance.pk is None, form_changes(inline_form)))
        for obj in deleted:
            audit(actor=request.user, action="delete", obj=obj, summary=str(obj))
        super().save_formset(request, form, formset, change)
        for inline_form, created, changes in changed:
            if inline_form.instance.pk is not None:
                audit(
                    actor=request.user,
                    action="create" if created else "change",
                    obj=inline_form.instance,
                    changes=changes,
                    summary=f"champs : {', '.join(changes)}",
                )

    def delete_model(self, request, obj):
        audit(actor=request.user, action="delete", obj=obj, summary=str(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit(actor=request.user, action="delete", obj=obj, summary=str(obj))
        super().delete_queryset(request, queryset)


class PortalAdminSite(admin.AdminSite):
    """The back office: every ModelAdmin registered on it is audited; staff sign in at its
    own door, audited too. The door's two steps are the register's (accounts/staff_login.py):
    ``AccountsConfig.ready()`` hands them over with ``use_staff_login``, so that the kernel
    imports no app."""

    site_header = "Back-office de la caisse"
    site_title = "Back-office"
    index_title = "Gestion"
    _staff_login = None  # (password step, code step): views taking (site, request, ...)

    def use_staff_login(self, login_view, login_code_view) -> None:
        self._staff_login = (login_view, login_code_view)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        if self._staff_login is None:
            return super().login(request, extra_context)
        return self._staff_login[0](self, request, extra_context)

    @method_decorator(never_cache)
    @login_not_required
    def login_code(self, request):
        if self._staff_login is None:
            raise Http404
        return self._staff_login[1](self, request)

    def logout(self, request, extra_context=None):
        if request.method == "POST" and request.user.is_authenticated:
            audit(actor=request.user, action="staff_logout", obj=request.user, summary="back-office")
        return super().logout(request, extra_context)

    # Pages of the site's own (not a model's): (urls(site), index_entry(request)) pairs that
    # ameli_portal/admin.py adds (the email preview), listed in « Infrastructure du portail ».
    _site_pages: tuple = ()

    def add_site_page(self, urls, index_entry) -> None:
        self._site_pages = (*self._site_pages, (urls, index_entry))

    def get_urls(self):
        from django.urls import path

        pages = [url for urls, _ in self._site_pages for url in urls(self)]
        return [path("login/code/", self.login_code, name="login_code"), *pages, *super().get_urls()]

    def get_app_list(self, request, app_label=None):
        """The apps' models, and the site's own pages in « Infrastructure du portail »."""
        app_list = super().get_app_list(request, app_label)
        if app_label not in (None, "ameli_portal"):
            return app_list
        for _, index_entry in self._site_pages:
            entry = index_entry(request)
            if entry is None:
                continue
            app = next((a for a in app_list if a["app_label"] == "ameli_portal"), None)
            if app is None:
                app = {
                    "name": "Infrastructure du portail",
                    "app_label": "ameli_portal",
                    "app_url": entry["admin_url"],
                    "has_module_perms": True,
                    "models": [],
                }
                app_list.append(app)
            app["models"].append(entry)
        return app_list

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__, (AuditedAdminMixin, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)


class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = ("created_at", "actor", "action", "object_type", "object_id", "summary", "changes")
