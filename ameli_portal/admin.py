from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .audit import AuditEventAdmin
from .email_preview import index_entry, preview_urls
from .health import worker_heartbeat_age
from .models import AuditEvent, DemoMessage, OutboxJob
from .outbox import outbox_job_relaunch, outbox_overview

admin.site.register(AuditEvent, AuditEventAdmin)
admin.site.add_site_page(preview_urls, index_entry)  # « Modèles de courriels (aperçu) »

FAILED_LISTED = 50


class StateFilter(admin.SimpleListFilter):
    title = "état"
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return OutboxJob.State.choices

    def queryset(self, request, queryset):
        if self.value() in OutboxJob.State.values:
            return queryset.filter(OutboxJob.state_q(self.value()))
        return queryset


@admin.register(OutboxJob)
class OutboxJobAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "task_name",
        "state_label",
        "publish_attempts",
        "run_attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = (StateFilter, "task_name")
    readonly_fields = [f.name for f in OutboxJob._meta.fields]
    exclude = ("args", "kwargs")  # may name a recipient: not for every staff screen
    change_list_template = "admin/ameli_portal/outboxjob/change_list.html"

    @admin.display(description="état")
    def state_label(self, obj):
        return obj.state_label

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("operations/", wrap(self.operations_view), name="ameli_portal_outboxjob_operations"),
            path("<uuid:job_id>/relancer/", wrap(self.relaunch_view), name="ameli_portal_outboxjob_relaunch"),
            *super().get_urls(),
        ]

    def operations_view(self, request):
        """Backlog by state, the oldest waiting job, the workers' heartbeat, the failures."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            heartbeat = worker_heartbeat_age()
        except Exception:  # noqa: BLE001 - Redis down: the page still shows the outbox
            heartbeat = "injoignable"
        failed = (
            OutboxJob.objects.filter(OutboxJob.state_q(OutboxJob.State.FAILED))
            .defer("args", "kwargs")
            .order_by("-failed_at")[:FAILED_LISTED]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Opérations : tâches en file",
            "overview": outbox_overview(with_done=True),
            "states": OutboxJob.State,
            "heartbeat_age": heartbeat,
            "failed_jobs": failed,
            "can_relaunch": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/ameli_portal/outboxjob/operations.html", context)

    def relaunch_view(self, request, job_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        job = get_object_or_404(OutboxJob, pk=job_id)
        if outbox_job_relaunch(job=job, actor=request.user):
            messages.success(request, f"La tâche {job.task_name} est relancée.")
        else:
            messages.warning(request, "Cette tâche n'est pas en échec : rien n'a été relancé.")
        return HttpResponseRedirect(reverse("admin:ameli_portal_outboxjob_operations"))


@admin.register(DemoMessage)
class DemoMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject")
    list_filter = ("kind",)
    exclude = ("pdf",)
