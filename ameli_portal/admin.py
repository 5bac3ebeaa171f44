from django.contrib import admin

from .audit import AuditEventAdmin
from .models import AuditEvent, DemoMessage, OutboxJob

admin.site.register(AuditEvent, AuditEventAdmin)


@admin.register(OutboxJob)
class OutboxJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "task_name", "state", "publish_attempts", "run_attempts",
                    "last_error")
    list_filter = ("task_name",)
    readonly_fields = [f.name for f in OutboxJob._meta.fields]
    exclude = ("args", "kwargs")  # may name a recipient: not for every staff screen

    def has_add_permission(self, request):
        return False


@admin.register(DemoMessage)
class DemoMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject")
    list_filter = ("kind",)
    exclude = ("pdf",)
