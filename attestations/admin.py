"""Back office: issued documents, their revocation, and an audited download."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ameli_portal.admin_tools import NoAddDeleteAdminMixin, ReadOnlyAdminMixin
from ameli_portal.audit import AuditedAdminMixin, audit

from . import services
from .models import Document, MonthlyStatement
from .views import pdf_response

DOWNLOAD_PERM = "attestations.view_document"
REVOKE_PERM = "attestations.change_document"


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Motif de la révocation",
        max_length=200,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Conservé dans le dossier et le journal d'audit ; jamais montré sur la page "
        "publique de vérification, qui dit seulement « révoqué ».",
        error_messages={"required": "Indiquez le motif de la révocation."},
    )


@admin.register(Document)
class DocumentAdmin(NoAddDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "owner_nir",
        "owner",
        "kind",
        "status",
        "issued_at",
        "revoked",
        "download_link",
    )
    list_filter = ("kind", "status", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    actions = ("revoke", "regenerate")
    readonly_fields = (
        "public_id",
        "owner",
        "kind",
        "period_start",
        "period_end",
        "status",
        "letter",
        "content_key",
        "issued_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "failure",
        "created_at",
        "download_link",
    )
    fields = readonly_fields
    search_fields = ("public_id", "owner__last_name")

    @admin.display(description="NIR")
    def owner_nir(self, obj):
        return obj.owner.nir_masked

    @admin.display(description="révoqué", boolean=True)
    def revoked(self, obj):
        return obj.revoked_at is not None

    @admin.display(description="PDF")
    def download_link(self, obj):
        if obj.status != Document.Status.READY or obj.is_letter:
            return "–"  # a letter is downloaded from the mailroom (courriers), not here
        url = reverse("admin:attestations_document_download", args=[obj.pk])
        return format_html('<a href="{}">Télécharger</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/telecharger/",
                self.admin_site.admin_view(self.download_view),
                name="attestations_document_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id):
        if not request.user.has_perm(DOWNLOAD_PERM):
            raise PermissionDenied
        # get_object: an id that is no number is a 404, not a server error.
        document = self.get_object(request, unquote(object_id))
        if document is None or document.status != Document.Status.READY or document.is_letter:
            raise Http404
        audit(
            actor=request.user, action="document_download", obj=document, summary=document.get_kind_display()
        )
        return pdf_response(document)

    @admin.action(description="Révoquer les documents sélectionnés…", permissions=["change"])
    def revoke(self, request, queryset):
        """An intermediate page asks the reason; its form posts the action again with it."""
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            count = sum(
                services.document_revoke(document=d, actor=request.user, reason=reason) for d in queryset
            )
            self.message_user(request, f"{count} document(s) révoqué(s).", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "attestations/admin_revoke.html",
            {
                **self.admin_site.each_context(request),
                "title": "Révoquer des documents",
                "opts": self.model._meta,
                "documents": queryset.select_related("owner"),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Établir de nouveau (données du jour)", permissions=["change"])
    def regenerate(self, request, queryset):
        count = sum(
            services.document_regenerate(document=document, actor=request.user) is not None
            for document in queryset
        )
        self.message_user(request, f"{count} document(s) en préparation.", messages.SUCCESS)
        if count < len(queryset):
            self.message_user(
                request,
                "Un courrier de code provisoire ne s'établit pas de nouveau ici : "
                "émettez un nouveau code depuis la salle du courrier.",
                messages.WARNING,
            )


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the monthly beat job prepared, and whether the person was told: read-only."""

    list_display = ("month", "owner", "document", "created_at", "notified_at")
    list_filter = ("month",)
    list_select_related = ("owner", "document")
    fields = readonly_fields = ("month", "owner", "document", "created_at", "notified_at")
    date_hierarchy = "month"
