"""The staff back office for care: professionals, care sheets, payments and the ledger.

Posting and reversing go through the services, which write the ledger and the
audit rows; the admin only adds a preview, buttons and forms around them.
"""

import codecs
import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.admin import NIR_NOT_IN_SEARCH, looks_like_nir
from accounts.fields import mask_iban
from ameli_portal.admin_tools import ReadOnlyAdminMixin, ReadOnlyInline
from ameli_portal.audit import AuditedAdminMixin, audit
from ameli_portal.formats import euros, percent

from .models import (
    CareAct,
    CareSheet,
    ImportRun,
    Journal,
    LedgerEntry,
    Payment,
    Professional,
    Reversal,
    Settlement,
)
from .rules import RulesError
from .services.import_runs import import_run_resume, import_run_start
from .services.importing import check_header
from .services.posting import care_sheet_post, care_sheet_preview, settlement_reverse

# Posting ("liquider") and reversing ("annuler") each have their own permission (CareSheet.Meta);
# editing a draft needs only the change permission.
POST_PERM = "reimbursements.post_caresheet"
REVERSE_PERM = "reimbursements.reverse_caresheet"
CHANGE_PERM = "reimbursements.change_caresheet"
# The upload is stored and imported by a job (import_runs.py): no request waits for it.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class NoBulkDeleteMixin:
    """The bulk delete action skips delete_model, hence the audit row: not offered."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Professional)
class ProfessionalAdmin(NoBulkDeleteMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "rpps", "kind", "specialty", "sector", "optam", "city")
    list_filter = ("kind", "sector", "optam", "specialty")
    search_fields = ("name", "rpps")
    search_help_text = "Nom ou n° RPPS / FINESS."
    readonly_fields = ("public_id",)


# --- Care sheets ---------------------------------------------------------------------


class CareSheetForm(forms.ModelForm):
    class Meta:
        model = CareSheet
        fields = (
            "insured",
            "beneficiary",
            "professional",
            "received_on",
            "tiers_payant",
            "coordinated_path",
            "ald_related",
        )

    def clean(self):
        cleaned = super().clean()
        insured, beneficiary = cleaned.get("insured"), cleaned.get("beneficiary")
        if insured and beneficiary and beneficiary.insured_id != insured.pk:
            self.add_error(
                "beneficiary",
                "Cet ayant droit n'est pas rattaché à l'assuré de la feuille : "
                "choisissez un ayant droit de cet assuré, ou laissez vide.",
            )
        return cleaned


class CareActInline(admin.TabularInline):
    """Acts follow their sheet: editable while it is a draft, read-only once posted."""

    model = CareAct
    extra = 0
    formfield_overrides = {models.DecimalField: {"localize": True}}  # staff type "30,00"
    fields = (
        "act_code",
        "label",
        "care_date",
        "end_date",
        "kind",
        "charged",
        "quantity",
        "coefficient",
        "base",
        "medicine_rate",
        "psychiatric",
        "basket",
        "emergency_transport",
        "costly_act",
    )

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def _editable(self, request, obj):
        if obj is None:
            return request.user.has_perm("reimbursements.add_caresheet")
        return obj.status == CareSheet.Status.DRAFT and request.user.has_perm(CHANGE_PERM)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("reimbursements.view_caresheet") or request.user.has_perm(CHANGE_PERM)


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label="Motif de l'annulation",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Le motif de l'annulation est obligatoire."},
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV", help_text="UTF-8, séparateur « ; », une ligne par acte, 200 Mo au plus."
    )
    post = forms.BooleanField(label="Liquider les feuilles importées", required=False, initial=True)

    def __init__(self, *args, can_post: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_post:
            del self.fields["post"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("Fichier trop volumineux : 200 Mo au plus.")
        first_line = _check_utf8(upload)
        header = next(csv.reader([first_line.lstrip("\ufeff")], delimiter=";"), [])
        problem = check_header(header)
        if problem:
            raise ValidationError(f"Ce fichier n'est pas au format attendu. {problem}")
        upload.seek(0)
        return upload


def _check_utf8(upload) -> str:
    """Decode the whole upload chunk by chunk (constant memory); return its first line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = ""
    try:
        for chunk in upload.chunks():
            text = decoder.decode(chunk)
            if "\x00" in text:
                raise UnicodeDecodeError("utf-8", b"\x00", 0, 1, "NUL")
            if "\n" not in head and len(head) < 10_000:
                head += text[:10_000]
        head += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ValidationError("Ce fichier n'est pas un fichier texte CSV en UTF-8.") from None
    return head.splitlines()[0] if head else ""


def _lines(acts, settlements):
    """Rows of the settlement table: one per act, with the engine's (or the posted) figures."""
    return [
        {"act": act, "s": s, "rate": f"{s.rate * 100:.0f} %", "payee": Settlement.Payee(s.payee).label}
        for act, s in zip(acts, settlements, strict=True)
    ]


@admin.register(CareSheet)
class CareSheetAdmin(NoBulkDeleteMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = CareSheetForm
    inlines = [CareActInline]
    list_display = (
        "received_on",
        "insured",
        "beneficiary",
        "professional",
        "status",
        "tiers_payant",
        "posted_at",
    )
    list_filter = ("status", "tiers_payant", "ald_related", "received_on")
    list_select_related = ("insured", "beneficiary", "professional")
    date_hierarchy = "received_on"
    search_fields = (
        "insured__last_name",
        "professional__name",
        "professional__rpps",
        "^import_batch",
        "=external_ref",
    )
    search_help_text = "Nom de l'assuré, professionnel, RPPS, lot d'import ou référence de la feuille."
    autocomplete_fields = ("insured", "beneficiary", "professional")
    readonly_fields = ("status", "posted_at", "posted_by", "import_batch", "external_ref", "public_id")
    fieldsets = [
        ("Feuille", {"fields": ("insured", "beneficiary", "professional", "received_on")}),
        ("Conditions", {"fields": ("tiers_payant", "coordinated_path", "ald_related")}),
        (
            "Suivi",
            {"fields": ("status", "posted_at", "posted_by", "import_batch", "external_ref", "public_id")},
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        # A NIR in a GET search would land in URLs and logs: refused, as on the insured list.
        if looks_like_nir(search_term):
            messages.warning(request, NIR_NOT_IN_SEARCH)
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == CareSheet.Status.POSTED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == CareSheet.Status.POSTED:
            return False
        return super().has_delete_permission(request, obj)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.new_objects or formset.changed_objects or formset.deleted_objects:
            audit(
                actor=request.user,
                action="change",
                obj=form.instance,
                summary=f"actes : {len(formset.new_objects)} ajouté(s), "
                f"{len(formset.changed_objects)} modifié(s), "
                f"{len(formset.deleted_objects)} supprimé(s)",
            )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("importer/", wrap(self.import_view), name="reimbursements_caresheet_import"),
            path(
                "decomptes/<int:settlement_id>/annuler/",
                wrap(self.reverse_view),
                name="reimbursements_caresheet_reverse",
            ),
            path("<path:object_id>/liquider/", wrap(self.post_view), name="reimbursements_caresheet_post"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sheet = self.get_object(request, unquote(object_id))
        if sheet is not None:
            extra_context = {**(extra_context or {}), **self._settlement_context(request, sheet)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _settlement_context(self, request, sheet):
        if sheet.status == CareSheet.Status.POSTED:
            settlements = list(
                Settlement.objects.filter(act__sheet=sheet)
                .select_related("act", "reversal", "payment")
                .order_by("act__care_date", "act_id")
            )
            return {
                "posted_lines": _lines([s.act for s in settlements], settlements),
                "can_reverse": request.user.has_perm(REVERSE_PERM),
            }
        context = {"can_post": request.user.has_perm(POST_PERM)}
        acts = list(sheet.acts.all())
        try:
            context["preview_lines"] = _lines(acts, care_sheet_preview(sheet=sheet)) if acts else []
        except RulesError as e:
            context["preview_error"] = str(e)
        return context

    def post_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(POST_PERM):
            raise PermissionDenied
        sheet = self.get_object(request, unquote(object_id))
        if sheet is None:
            raise Http404("Feuille de soins introuvable.")
        change_url = reverse("admin:reimbursements_caresheet_change", args=[sheet.pk])
        if sheet.status == CareSheet.Status.POSTED:
            messages.warning(request, "Cette feuille est déjà liquidée : rien n'a été refait.")
            return HttpResponseRedirect(change_url)
        if not sheet.acts.exists():
            messages.error(request, "Cette feuille n'a aucun acte : rien à liquider.")
            return HttpResponseRedirect(change_url)
        try:
            posted = care_sheet_post(sheet=sheet, actor=request.user)
        except RulesError as e:
            messages.error(request, f"Liquidation impossible : {e}")
        else:
            total = sum(s.paid for s in posted)
            messages.success(request, f"Feuille liquidée : {len(posted)} acte(s), {euros(total)} à verser.")
        return HttpResponseRedirect(change_url)

    def reverse_view(self, request, settlement_id):
        if not request.user.has_perm(REVERSE_PERM):
            raise PermissionDenied
        settlement = get_object_or_404(
            Settlement.objects.select_related("act__sheet__professional", "act__sheet__insured"),
            pk=settlement_id,
        )
        sheet = settlement.act.sheet
        change_url = reverse("admin:reimbursements_caresheet_change", args=[sheet.pk])
        form = ReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                settlement_reverse(
                    settlement=settlement, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValueError as e:
                form.add_error("reason", str(e))
            else:
                messages.success(request, f"Acte {settlement.act} annulé.")
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Annuler un acte liquidé",
            "form": form,
            "settlement": settlement,
            "sheet": sheet,
            "change_url": change_url,
            "already_reversed": Reversal.objects.filter(settlement=settlement).first(),
        }
        return TemplateResponse(request, "admin/reimbursements/caresheet/reverse.html", context)

    def import_view(self, request):
        if not request.user.has_perm("reimbursements.add_caresheet"):
            raise PermissionDenied
        can_post = request.user.has_perm(POST_PERM)
        form = ImportForm(request.POST or None, request.FILES or None, can_post=can_post)
        if request.method == "POST" and form.is_valid():
            run = import_run_start(
                upload=form.cleaned_data["file"],
                actor=request.user,
                post=can_post and form.cleaned_data.get("post", False),
            )
            messages.success(
                request,
                "Fichier reçu : l'import se poursuit en arrière-plan. Cette page montre son avancement.",
            )
            return HttpResponseRedirect(reverse("admin:reimbursements_importrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Importer des feuilles de soins",
            "form": form,
            "can_post": can_post,
        }
        return TemplateResponse(request, "admin/reimbursements/caresheet/import.html", context)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Imports of uploaded files: progress while the job runs, then the report of rejected rows."""

    list_display = (
        "created_at",
        "file_name",
        "state",
        "lines_read",
        "lines_imported",
        "lines_rejected",
        "launched_by",
    )
    list_filter = ("status", "post")
    list_select_related = ("launched_by",)
    date_hierarchy = "created_at"
    change_form_template = "admin/reimbursements/importrun/change_form.html"
    fields = readonly_fields = (
        "file_name",
        "file_size",
        "post",
        "state",
        "lines_total",
        "lines_read",
        "lines_imported",
        "lines_rejected",
        "sheets_imported",
        "error",
        "import_batch",
        "launched_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "resumed",
    )

    @admin.display(description="état", ordering="status")
    def state(self, run):
        return run.status_text

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/progression/",
                wrap(self.progress_view),
                name="reimbursements_importrun_progress",
            ),
            path(
                "<path:object_id>/rejets/", wrap(self.rejects_view), name="reimbursements_importrun_rejects"
            ),
            path(
                "<path:object_id>/relancer/", wrap(self.resume_view), name="reimbursements_importrun_resume"
            ),
            *super().get_urls(),
        ]

    def _run_or_404(self, request, object_id) -> ImportRun:
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404("Import introuvable.")
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, unquote(object_id))
        if run is not None:
            extra_context = {**(extra_context or {}), "progress": progress_data(run)}
        return super().change_view(request, object_id, form_url, extra_context)

    def progress_view(self, request, object_id):
        return JsonResponse(progress_data(self._run_or_404(request, object_id)))

    def resume_view(self, request, object_id):
        """POST: import the file of an interrupted or failed run again (see import_run_resume)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = self._run_or_404(request, object_id)
        if not request.user.has_perm("reimbursements.add_caresheet") or (
            run.post and not request.user.has_perm(POST_PERM)
        ):
            raise PermissionDenied
        if import_run_resume(run=run, actor=request.user):
            messages.success(
                request,
                "Import relancé : le fichier est relu depuis le début ; les "
                "feuilles déjà importées par cet import sont reconnues, pas "
                "importées deux fois.",
            )
        else:
            messages.warning(request, "Cet import n'est ni interrompu ni en échec : il n'a pas été relancé.")
        return HttpResponseRedirect(reverse("admin:reimbursements_importrun_change", args=[run.pk]))

    def rejects_view(self, request, object_id):
        run = self._run_or_404(request, object_id)
        if not run.rejects:
            raise Http404("Pas de rapport de rejets pour cet import.")
        audit(actor=request.user, action="download", obj=run, summary="rapport des rejets")
        return FileResponse(
            run.rejects.open("rb"),
            as_attachment=True,
            content_type="text/csv",
            filename=f"rejets-import-{run.created_at:%Y%m%d-%H%M}.csv",
        )


def progress_data(run: ImportRun) -> dict:
    finished = run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED)
    return {
        "status": run.status,
        "status_label": run.status_text,
        "finished": finished,
        "can_resume": run.can_resume,
        "percent": run.percent,
        "lines_total": run.lines_total,
        "lines_read": run.lines_read,
        "lines_imported": run.lines_imported,
        "lines_rejected": run.lines_rejected,
        "sheets_imported": run.sheets_imported,
        "error": run.error,
        "rejects_url": (
            reverse("admin:reimbursements_importrun_rejects", args=[run.pk]) if run.rejects else ""
        ),
        "sheets_url": (
            reverse("admin:reimbursements_caresheet_changelist") + f"?q={run.import_batch}"
            if finished and run.sheets_imported
            else ""
        ),
    }


# --- Payments and the ledger: read-only --------------------------------------------


class PaymentSettlementInline(ReadOnlyInline):
    model = Settlement
    fk_name = "payment"
    fields = readonly_fields = (
        "act",
        "care_date",
        "base",
        "rate_percent",
        "amo",
        "participation_withheld",
        "franchise_withheld",
        "paid",
        "payee",
    )
    verbose_name_plural = "décomptes payés"

    @admin.display(description="taux")
    def rate_percent(self, obj):
        return percent(obj.rate)  # « 70 % », as the sheet's preview writes it; Django: « 0,70 »

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("act")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("reimbursements.view_payment")


class PaymentReversalInline(ReadOnlyInline):
    model = Reversal
    fk_name = "payment"
    fields = readonly_fields = ("settlement", "reason", "actor", "created_at")
    verbose_name_plural = "annulations reprises"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("settlement__act", "actor")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("reimbursements.view_payment")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("paid_on", "payee", "amount", "masked_iban")
    list_filter = ("paid_on",)
    list_select_related = ("insured", "professional")
    date_hierarchy = "paid_on"
    search_fields = ("insured__last_name", "professional__name", "professional__rpps")
    fields = readonly_fields = ("paid_on", "payee", "amount", "masked_iban", "public_id", "created_at")
    inlines = [PaymentSettlementInline, PaymentReversalInline]

    @admin.display(description="bénéficiaire du virement")
    def payee(self, obj):
        return obj.insured or obj.professional

    @admin.display(description="IBAN")
    def masked_iban(self, obj):
        return mask_iban(obj.iban)


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = readonly_fields = ("account", "insured", "professional", "amount")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("insured", "professional")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("reimbursements.view_journal")


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("posted_at", "kind", "settlement", "payment", "actor", "memo")
    list_filter = ("kind", "posted_at")
    list_select_related = ("settlement__act", "payment", "actor")
    date_hierarchy = "posted_at"
    fields = readonly_fields = ("kind", "settlement", "payment", "actor", "memo", "posted_at")
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("journal", "account", "insured", "professional", "amount")
    list_filter = ("account", "journal__kind")
    list_select_related = ("journal", "insured", "professional")
    fields = readonly_fields = ("journal", "account", "insured", "professional", "amount")


# Indemnités journalières and vaccinations (documents issue).
from . import admin_allowances_vaccinations  # noqa: E402,F401
