"""Audit trail of staff access to insured data."""

from django.contrib import admin

from .models import AuditEvent


def audit(*, actor, action: str, obj, summary: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
    )


class AuditedAdminMixin:
    """Record every staff view, change and deletion of an object in the admin."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, admin.utils.unquote(object_id))
            if obj is not None:
                audit(actor=request.user, action="view", obj=obj)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = ", ".join(form.changed_data) if change else ""
        audit(
            actor=request.user,
            action="change" if change else "create",
            obj=obj,
            summary=f"champs : {changed}" if changed else "",
        )

    def delete_model(self, request, obj):
        audit(actor=request.user, action="delete", obj=obj)
        super().delete_model(request, obj)


class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
