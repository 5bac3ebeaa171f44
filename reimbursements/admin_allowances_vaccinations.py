"""Back office for indemnités journalières (entered once, paid at once, read-only after)
and for vaccinations on record (staff entry)."""

from django import forms
from django.contrib import admin

from ameli_portal.audit import AuditedAdminMixin

from .models import DailyAllowance, Vaccination
from .services.allowances import daily_allowance_pay

ALLOWANCE_FIELDS = (
    "public_id",
    "insured",
    "kind",
    "period_start",
    "period_end",
    "days",
    "daily_gross",
    "gross",
    "csg_crds",
    "net",
    "taxable",
    "employer",
    "paid_on",
    "payment",
    "created_at",
)


class DailyAllowanceForm(forms.ModelForm):
    ald = forms.BooleanField(label="en rapport avec une ALD (non imposable)", required=False)

    class Meta:
        model = DailyAllowance
        fields = ("insured", "kind", "period_start", "period_end", "daily_gross", "employer", "paid_on")
        help_texts = {
            "daily_gross": "Montant brut par jour ; le nombre de jours, la CSG, la CRDS, "
            "le net et le montant imposable sont calculés."
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "La fin de la période précède son début.")
        if data.get("daily_gross") is not None and data["daily_gross"] <= 0:
            self.add_error("daily_gross", "L'indemnité journalière doit être positive.")
        return data


@admin.register(DailyAllowance)
class DailyAllowanceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "paid_on",
        "insured",
        "kind",
        "period_start",
        "period_end",
        "days",
        "gross",
        "csg_crds",
        "net",
        "taxable",
    )
    list_filter = ("kind", "paid_on")
    list_select_related = ("insured",)
    date_hierarchy = "paid_on"
    autocomplete_fields = ("insured",)
    search_fields = ("public_id", "insured__last_name")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DailyAllowanceForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (*DailyAllowanceForm.Meta.fields[:-1], "ald", "paid_on")
        return ALLOWANCE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return ALLOWANCE_FIELDS if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        return False  # a paid IJ is in the ledger: corrected by a new entry, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def save_form(self, request, form, change):
        # The service computes, posts, pays and audits: the admin's own save is skipped.
        data = form.cleaned_data
        return daily_allowance_pay(
            insured=data["insured"],
            kind=data["kind"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            daily_gross=data["daily_gross"],
            employer=data["employer"],
            paid_on=data["paid_on"],
            ald=data["ald"],
            actor=request.user,
        )

    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        pass


class VaccinationForm(forms.ModelForm):
    class Meta:
        model = Vaccination
        fields = (
            "insured",
            "beneficiary",
            "vaccine",
            "disease",
            "dose",
            "vaccinated_on",
            "batch_number",
            "vaccinator",
        )

    def clean(self):
        data = super().clean()
        insured, beneficiary = data.get("insured"), data.get("beneficiary")
        if insured and beneficiary and beneficiary.insured_id != insured.pk:
            self.add_error("beneficiary", "Cet ayant droit n'est pas rattaché à cet assuré.")
        return data


@admin.register(Vaccination)
class VaccinationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = VaccinationForm
    list_display = ("vaccinated_on", "insured", "beneficiary", "vaccine", "disease", "dose")
    list_filter = ("disease",)
    list_select_related = ("insured", "beneficiary")
    date_hierarchy = "vaccinated_on"
    autocomplete_fields = ("insured", "beneficiary")
    search_fields = ("insured__last_name", "vaccine", "disease")
    fields = (
        "insured",
        "beneficiary",
        "vaccine",
        "disease",
        "dose",
        "vaccinated_on",
        "batch_number",
        "vaccinator",
    )

    def get_actions(self, request):
        # The bulk delete skips delete_model, hence the audit row.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
