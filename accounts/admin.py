from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse

from ameli_portal.audit import AuditedAdminMixin, audit

from . import admin_mailroom  # registers the mailroom too
from .models import Beneficiary, Caisse, CoveragePeriod, Exemption, Insured, User
from .nir import NirError, parse_nir
from .services import user_unlock


@admin.register(Caisse)
class CaisseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "phone")
    search_fields = ("code", "name")


class BeneficiaryInline(admin.TabularInline):
    model = Beneficiary
    extra = 0
    fields = ("relationship", "last_name", "first_names", "birth_date", "sex", "nir")


class CoverageInline(admin.TabularInline):
    model = CoveragePeriod
    extra = 0


class ExemptionInline(admin.TabularInline):
    model = Exemption
    extra = 0
    fields = ("kind", "beneficiary", "start", "end")


class RightsOpenFilter(admin.SimpleListFilter):
    title = "droits"
    parameter_name = "droits"

    def lookups(self, request, model_admin):
        return [("ouverts", "Droits ouverts"), ("fermes", "Droits fermés")]

    def queryset(self, request, queryset):
        from django.utils import timezone

        today = timezone.localdate()
        open_q = Q(coverage_periods__start__lte=today) & (
            Q(coverage_periods__end__isnull=True) | Q(coverage_periods__end__gte=today)
        )
        if self.value() == "ouverts":
            return queryset.filter(open_q).distinct()
        if self.value() == "fermes":
            return queryset.exclude(pk__in=queryset.filter(open_q).values("pk"))
        return queryset


NIR_NOT_IN_SEARCH = (
    "Le NIR ne se cherche pas dans la barre de recherche (il apparaîtrait dans l'adresse de "
    "la page et dans les journaux) : utilisez « Rechercher par NIR » sur la liste des assurés."
)


def looks_like_nir(term: str) -> bool:
    digits = sum(c.isdigit() for c in term)
    return digits >= 10


class NirSearchMixin:
    """The admin search is a GET (the term lands in URLs and logs): a NIR is refused there.

    A NIR is looked up through the POST form of the insured list instead.
    """

    def get_search_results(self, request, queryset, search_term):
        if looks_like_nir(search_term):
            messages.warning(request, NIR_NOT_IN_SEARCH)
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Insured)
class InsuredAdmin(NirSearchMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("masked_nir", "last_name", "first_names", "birth_date", "postal_code", "caisse")
    list_filter = ("caisse", "sex", RightsOpenFilter, "exemptions__kind", "coverage_periods__regime")
    search_fields = ("last_name", "birth_name", "first_names", "postal_code")
    search_help_text = "Nom, prénom ou code postal. Pour un NIR : « Rechercher par NIR »."
    list_select_related = ("caisse",)
    inlines = [BeneficiaryInline, CoverageInline, ExemptionInline]
    readonly_fields = ("public_id", "created_at", "updated_at")
    actions = [admin_mailroom.issue_code_admin_action]

    def get_urls(self):
        lookup = path("nir/", self.admin_site.admin_view(self.nir_lookup), name="accounts_insured_nir")
        return [lookup, *super().get_urls()]

    def nir_lookup(self, request):
        """POST a NIR, land on that insured's page: the NIR never appears in a URL."""
        changelist = reverse("admin:accounts_insured_changelist")
        if request.method != "POST" or not self.has_view_permission(request):
            return redirect(changelist)
        try:
            nir = parse_nir(request.POST.get("nir", "")).number
        except NirError as exc:
            messages.error(request, exc.message)
            return redirect(changelist)
        insured = Insured.objects.filter(nir=nir).first()
        if insured is None:
            messages.warning(request, "Aucun assuré n'a ce NIR.")
            return redirect(changelist)
        return redirect("admin:accounts_insured_change", insured.pk)
    fieldsets = [
        ("Identité", {"fields": ("caisse", "nir", "last_name", "birth_name", "first_names",
                                 "birth_date", "sex")}),
        ("Coordonnées", {"fields": ("address_line1", "address_line2", "postal_code", "city",
                                    "email", "phone")}),
        ("Paiements", {"fields": ("iban",)}),
        ("Parcours de soins", {"fields": ("medecin_traitant", "medecin_traitant_since")}),
        ("Suivi", {"fields": ("public_id", "created_at", "updated_at")}),
    ]

    @admin.display(description="NIR", ordering="nir")
    def masked_nir(self, obj):
        return obj.nir_masked


@admin.register(Beneficiary)
class BeneficiaryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("last_name", "first_names", "birth_date", "relationship", "insured")
    list_filter = ("relationship",)
    search_fields = ("last_name", "first_names", "insured__last_name")
    list_select_related = ("insured",)
    autocomplete_fields = ("insured",)


class LockedFilter(admin.SimpleListFilter):
    title = "verrouillage"
    parameter_name = "verrouille"

    def lookups(self, request, model_admin):
        return [("oui", "Verrouillés")]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(locked_at__isnull=False)
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("login", "email", "is_staff", "is_active", "locked_at", "last_login")
    list_filter = ("is_staff", "is_active", LockedFilter, "groups")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("failed_logins", "locked_at")
    actions = ["unlock_accounts"]

    @admin.action(description="Déverrouiller les comptes sélectionnés", permissions=["change"])
    def unlock_accounts(self, request, queryset):
        count = 0
        for user in queryset.filter(locked_at__isnull=False):
            user_unlock(user=user)
            audit(actor=request.user, action="unlock", obj=user)
            count += 1
        self.message_user(request, f"{count} compte(s) déverrouillé(s).")
    list_select_related = ("insured",)
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Assuré", {"fields": ("insured",)}),
        ("Sécurité", {"fields": ("failed_logins", "locked_at")}),
    )
    autocomplete_fields = ("insured",)

    @admin.display(description="identifiant")
    def login(self, obj):
        return obj.display_login

