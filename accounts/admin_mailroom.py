"""The mailroom in the staff back office: print the letters in batches, mark them posted.

Imported by ``accounts.admin``; ``issue_code_admin_action`` belongs to ``InsuredAdmin.actions``.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from ameli_portal.admin_tools import NoAddDeleteAdminMixin
from ameli_portal.audit import audit

from .models import PostalLetter
from .services.codes import provisional_code_issue
from .services.letters import letter_filename, letters_mark_sent, letters_zip


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@admin.register(PostalLetter)
class PostalLetterAdmin(NoAddDeleteAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "status", "destination", "ready_at", "sent_at", "pdf_link")
    list_filter = ("status", "kind")
    list_select_related = ("insured",)
    # Letters waiting to be printed first, then the newest.
    ordering = (
        Case(
            When(status=PostalLetter.Status.TO_PRINT, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "-created_at",
    )
    fields = ("kind", "status", "destination", "created_at", "ready_at", "sent_at", "sent_by", "pdf_link")
    readonly_fields = fields
    actions = ["download_zip", "mark_sent"]

    def has_change_permission(self, request, obj=None):
        # "change" is what the mark-as-sent action needs; a letter itself is never edited.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="destination")
    def destination(self, obj):
        # The mailroom needs where it goes, not who it is for.
        return f"{obj.insured.postal_code} {obj.insured.city}"

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        if not obj.pdf:
            return "–"
        url = reverse(f"{self.admin_site.name}:accounts_postalletter_pdf", args=[obj.pk])
        return format_html('<a href="{}">Télécharger</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="accounts_postalletter_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, object_id):
        letter = self.get_object(request, admin.utils.unquote(object_id))
        if letter is None or not letter.pdf:
            raise Http404
        if not self.has_view_permission(request, letter):
            raise PermissionDenied
        audit(actor=request.user, action="letter_download", obj=letter)
        response = FileResponse(
            letter.pdf.open("rb"),
            as_attachment=True,
            filename=letter_filename(letter),
            content_type="application/pdf",
        )
        return _no_store(response)

    @admin.action(description="Télécharger les courriers sélectionnés (ZIP)", permissions=["view"])
    def download_zip(self, request, queryset):
        if not queryset.exclude(pdf="").exists():
            self.message_user(request, "Aucun des courriers sélectionnés n'est prêt.", messages.WARNING)
            return None
        data = letters_zip(letters=queryset, actor=request.user)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(
            True, f"courriers-{timezone.localtime():%Y%m%d-%H%M}.zip"
        )
        return _no_store(response)

    @admin.action(description="Marquer comme envoyés", permissions=["change"])
    def mark_sent(self, request, queryset):
        count = letters_mark_sent(letters=queryset, actor=request.user)
        skipped = queryset.count() - count
        self.message_user(request, f"{count} courrier(s) marqué(s) comme envoyé(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} courrier(s) ignoré(s) : seuls les courriers « À imprimer » peuvent être envoyés.",
                messages.WARNING,
            )


@admin.action(description="Envoyer un code provisoire par courrier", permissions=["change"])
def issue_code_admin_action(modeladmin, request, queryset):
    """For ``InsuredAdmin.actions``: a code letter to each selected insured without an account."""
    issued = 0
    for insured in queryset.filter(user__isnull=True).select_related("caisse"):
        provisional_code_issue(insured=insured, actor=request.user)
        issued += 1
    skipped = queryset.filter(user__isnull=False).count()
    if issued:
        modeladmin.message_user(
            request,
            f"{issued} courrier(s) de code provisoire en préparation : ils apparaîtront "
            "« À imprimer » dans la salle du courrier.",
            messages.SUCCESS,
        )
    if skipped:
        modeladmin.message_user(
            request, f"{skipped} assuré(s) ignoré(s) : ils ont déjà un compte.", messages.WARNING
        )
