from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from ameli_portal.admin_tools import NoAddDeleteAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline
from ameli_portal.audit import AuditedAdminMixin, audit, value_changes

from . import admin_mailroom  # admin_mailroom registers the mailroom too
from .forms import InsuredAdminForm
from .models import (
    Beneficiary,
    Caisse,
    CoveragePeriod,
    DataExport,
    Exemption,
    FamilySituationChange,
    HealthCard,
    HealthCardEvent,
    IbanHistory,
    Insured,
    TermsAcceptance,
    User,
)
from .nir import NirError, parse_nir
from .services import rights
from .services.cards import CardRefused, health_card_deliver
from .services.login import user_unlock
from .services.register import (
    IDENTITY_FIELDS,
    insured_change_family_situation,
    insured_change_iban,
    insured_change_identity,
)


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


class IbanHistoryInline(ReadOnlyInline):
    model = IbanHistory
    verbose_name_plural = "anciens IBAN (historique)"
    fields = readonly_fields = ("iban", "valid_from", "valid_until", "changed_by", "created_at")


class FamilySituationInline(ReadOnlyInline):
    model = FamilySituationChange
    fields = readonly_fields = ("situation", "since", "changed_by", "created_at")


class HealthCardInline(ReadOnlyInline):
    model = HealthCard
    fields = readonly_fields = (
        "card_link",
        "beneficiary",
        "status",
        "order_reason",
        "ordered_at",
        "valid_from",
        "valid_until",
        "opposed_at",
        "opposition_reason",
    )

    @admin.display(description="carte")
    def card_link(self, obj):
        url = reverse("admin:accounts_healthcard_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj)


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
    inlines = [
        BeneficiaryInline,
        CoverageInline,
        ExemptionInline,
        HealthCardInline,
        IbanHistoryInline,
        FamilySituationInline,
    ]
    HISTORY_INLINES = (HealthCardInline, IbanHistoryInline, FamilySituationInline)
    readonly_fields = ("public_id", "created_at", "updated_at")
    actions = [admin_mailroom.issue_code_admin_action]
    form = InsuredAdminForm
    # Each goes through its service, which audits it with its own detail.
    audit_skip_fields = (
        *IDENTITY_FIELDS,
        "identity_reason",
        "iban",
        "family_situation",
        "family_situation_since",
    )

    def get_readonly_fields(self, request, obj=None):
        # The identity of a registered person is a superviseur's to change (with a reason).
        if obj is not None and not request.user.has_perm("accounts.change_identity"):
            return (*self.readonly_fields, *IDENTITY_FIELDS)
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.has_perm("accounts.change_identity"):
            (title, options), *rest = fieldsets
            fieldsets = [(title, {**options, "fields": (*options["fields"], "identity_reason")}), *rest]
        return fieldsets

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
        (
            "Identité",
            {"fields": ("caisse", "nir", "last_name", "birth_name", "first_names", "birth_date", "sex")},
        ),
        (
            "Coordonnées",
            {"fields": ("address_line1", "address_line2", "postal_code", "city", "email", "phone")},
        ),
        ("Situation familiale", {"fields": ("family_situation", "family_situation_since")}),
        ("Paiements", {"fields": ("iban",)}),
        ("Parcours de soins", {"fields": ("medecin_traitant", "medecin_traitant_since")}),
        ("Suivi", {"fields": ("public_id", "created_at", "updated_at")}),
    ]

    @admin.display(description="NIR", ordering="nir")
    def masked_nir(self, obj):
        return obj.nir_masked

    def get_inline_instances(self, request, obj=None):
        # A new insured person has no history yet: the add page keeps its three inlines.
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            return [i for i in inlines if not isinstance(i, self.HISTORY_INLINES)]
        return inlines

    def save_related(self, request, form, formsets, change):
        # Rights opened by the coverage inline: the welcome letter with the code follows.
        with rights.rights_watch(insured=form.instance, actor=request.user):
            super().save_related(request, form, formsets, change)

    def save_model(self, request, obj, form, change):
        """Identity, IBAN and family situation go through their services: history, email, audit."""
        identity = form.identity_changes() if change else {}
        for field in identity:
            setattr(obj, field, form.initial.get(field))
        new_iban = new_situation = None
        if change and "iban" in form.changed_data and obj.iban:
            new_iban, obj.iban = obj.iban, form.initial.get("iban", "")
        family = {"family_situation", "family_situation_since"}
        if change and family & set(form.changed_data) and obj.family_situation and obj.family_situation_since:
            new_situation = (obj.family_situation, obj.family_situation_since)
            obj.family_situation = form.initial.get("family_situation", "")
            obj.family_situation_since = form.initial.get("family_situation_since")
        super().save_model(request, obj, form, change)
        if new_iban:
            insured_change_iban(insured=obj, iban=new_iban, actor=request.user)
        if new_situation:
            insured_change_family_situation(
                insured=obj, situation=new_situation[0], since=new_situation[1], actor=request.user
            )
        if identity:
            insured_change_identity(
                insured=obj, changes=identity, actor=request.user, reason=form.cleaned_data["identity_reason"]
            )


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


PRIVILEGE_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


def _privileges(user: User) -> dict:
    if user.pk is None:
        return {}
    return {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": [g.name for g in user.groups.all()],
        "user_permissions": [
            f"{p.content_type.app_label}.{p.codename}"
            for p in user.user_permissions.select_related("content_type")
        ],
    }


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts: staff read them and unlock; only a superuser adds, changes or deletes one.

    Nobody changes their own privileges, and ``is_superuser`` is never set here: a superuser
    is made with ``manage.py createsuperuser``. Privilege changes, passwords set and unlocks
    are audited with old and new values.
    """

    list_display = ("login", "email", "is_staff", "is_active", "locked_at", "last_login")
    list_filter = ("is_staff", "is_active", LockedFilter, "groups")
    search_fields = ("email", "first_name", "last_name")
    actions = ["unlock_accounts"]
    # Privileges are audited by save_related (with the groups), not field by field.
    audit_skip_fields = PRIVILEGE_FIELDS
    list_select_related = ("insured",)
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Assuré", {"fields": ("insured",)}),
        ("Sécurité", {"fields": ("failed_logins", "locked_at")}),
    )
    autocomplete_fields = ("insured",)

    @admin.display(description="identifiant")
    def login(self, obj):
        return obj.display_login

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_superuser
            and (obj is None or obj.pk != request.user.pk)
        )

    def has_unlock_permission(self, request):
        return request.user.has_perm("accounts.unlock_user")

    def get_readonly_fields(self, request, obj=None):
        fields = ["failed_logins", "locked_at", "is_superuser", "last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk:
            fields += ["is_active", "is_staff", "groups", "user_permissions"]
        return fields

    @admin.action(description="Déverrouiller les comptes sélectionnés", permissions=["unlock"])
    def unlock_accounts(self, request, queryset):
        count = 0
        for user in queryset.filter(locked_at__isnull=False):
            before = {"locked_at": user.locked_at, "failed_logins": user.failed_logins}
            user_unlock(user=user)
            audit(
                actor=request.user,
                action="unlock",
                obj=user,
                changes=value_changes(before, {"locked_at": None, "failed_logins": 0}),
            )
            count += 1
        self.message_user(request, f"{count} compte(s) déverrouillé(s).")

    def save_model(self, request, obj, form, change):
        if obj.pk == request.user.pk:  # belt and braces: read-only fields are not posted
            for name in ("is_active", "is_staff", "is_superuser"):
                setattr(obj, name, form.initial.get(name, getattr(request.user, name)))
        request._privileges_before = _privileges(User.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        changes = value_changes(getattr(request, "_privileges_before", {}), _privileges(user))
        if changes:
            audit(
                actor=request.user,
                action="privilege_change",
                obj=user,
                summary=f"droits : {', '.join(changes)}",
                changes=changes,
            )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if (
            request.method == "POST"
            and response.status_code == 302
            and response["Location"] != request.get_full_path()
        ):
            user = self.get_object(request, admin.utils.unquote(id))
            audit(
                actor=request.user, action="password_set", obj=user, changes={"password": ["…", "(modifié)"]}
            )
        return response


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdminMixin, GroupAdmin):
    """The roles are code (accounts/roles.py): the back office shows them, nobody edits them."""


class HealthCardEventInline(ReadOnlyInline):
    model = HealthCardEvent
    fields = readonly_fields = ("at", "status", "note", "actor")


@admin.register(HealthCard)
class HealthCardAdmin(NoAddDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "serial",
        "kind",
        "status",
        "holder_name",
        "insured_nir",
        "order_reason",
        "ordered_at",
        "valid_from",
        "valid_until",
    )
    list_filter = ("status", "kind", "order_reason")
    list_select_related = ("insured", "beneficiary")
    search_fields = ("serial_number",)
    search_help_text = "Derniers chiffres du numéro de série de la carte."
    date_hierarchy = "ordered_at"
    inlines = [HealthCardEventInline]
    actions = ("deliver",)
    readonly_fields = (
        "public_id",
        "serial",
        "insured",
        "beneficiary",
        "kind",
        "status",
        "order_reason",
        "ordered_at",
        "departure_on",
        "valid_from",
        "valid_until",
        "opposed_at",
        "opposition_reason",
    )
    fields = readonly_fields

    @admin.display(description="n° de série", ordering="serial_number")
    def serial(self, obj):
        return obj.serial_masked

    @admin.display(description="titulaire")
    def holder_name(self, obj):
        return str(obj.beneficiary or obj.insured)

    @admin.display(description="NIR de l'assuré")
    def insured_nir(self, obj):
        return obj.insured.nir_masked

    def get_search_results(self, request, queryset, search_term):
        term = "".join(search_term.split())
        if not term:
            return queryset, False
        if not term.isdigit() or len(term) > 12:
            messages.warning(request, "Saisissez les derniers chiffres du numéro de série.")
            return queryset.none(), False
        return queryset.filter(serial_number__endswith=term), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is kept by the services: the page reads, the action list writes.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Marquer comme remise (carte valide)", permissions=["change"])
    def deliver(self, request, queryset):
        delivered, refused = 0, 0
        for card in queryset.select_related("insured"):
            try:
                health_card_deliver(card=card, actor=request.user)
                delivered += 1
            except CardRefused:
                refused += 1
        if delivered:
            self.message_user(
                request, f"{delivered} carte(s) remise(s) : elles sont désormais valides.", messages.SUCCESS
            )
        if refused:
            self.message_user(
                request,
                f"{refused} carte(s) ignorée(s) : seule une carte commandée peut être remise.",
                messages.WARNING,
            )


class _ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written by the services only: staff read, nobody edits."""


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(_ReadOnlyAdmin):
    """Proof of what a person accepted, which version and when (sign-up, public card order)."""

    list_display = (
        "accepted_at",
        "insured",
        "version",
        "context",
        "terms_accepted",
        "privacy_acknowledged",
        "reference",
    )
    list_filter = ("version", "context")
    list_select_related = ("insured",)
    date_hierarchy = "accepted_at"
    fields = readonly_fields = list_display + ("user",)


@admin.register(DataExport)
class DataExportAdmin(_ReadOnlyAdmin):
    """« Télécharger mes données »: when an archive was asked and made; never its content."""

    list_display = ("requested_at", "user", "status", "size", "ready_at", "expires_at")
    list_filter = ("status",)
    list_select_related = ("user",)
    fields = readonly_fields = list_display
