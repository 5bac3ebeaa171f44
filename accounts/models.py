import secrets
import uuid
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ameli_portal.formats import first_name

from .fields import NIR_PATTERN, IbanField, NirField, mask_iban
from .nir import Nir, compute_key

POSTAL_CODE = RegexValidator(r"^[0-9]{5}$", "Le code postal comporte 5 chiffres.")


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Sex(models.TextChoices):
    MALE = "1", "Homme"
    FEMALE = "2", "Femme"


class Caisse(models.Model):
    code = models.CharField("code organisme", max_length=3, unique=True)
    name = models.CharField("nom", max_length=120)
    address = models.TextField("adresse postale")
    phone = models.CharField("téléphone", max_length=30, default="36 46")
    hours = models.CharField("horaires", max_length=120, blank=True)

    class Meta:
        verbose_name = "caisse"
        verbose_name_plural = "caisses"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class FamilySituation(models.TextChoices):
    SINGLE = "celibataire", "Célibataire"
    MARRIED = "marie", "Marié·e"
    PACS = "pacse", "Pacsé·e"
    COHABITING = "concubinage", "En concubinage (union libre)"
    DIVORCED = "divorce", "Divorcé·e"
    SEPARATED = "separe", "Séparé·e"
    WIDOWED = "veuf", "Veuf ou veuve"


# The register knows each person's sex: the situation is said of them, not « Marié·e ».
_SITUATION_BY_SEX = {
    FamilySituation.MARRIED: ("Marié", "Mariée"),
    FamilySituation.PACS: ("Pacsé", "Pacsée"),
    FamilySituation.DIVORCED: ("Divorcé", "Divorcée"),
    FamilySituation.SEPARATED: ("Séparé", "Séparée"),
    FamilySituation.WIDOWED: ("Veuf", "Veuve"),
}


def family_situation_label(situation: str, sex: str | None = None) -> str:
    """« Pacsée » for a woman, « Pacsé » for a man, « Pacsé·e » when the sex is not known."""
    if not situation:
        return ""
    words = _SITUATION_BY_SEX.get(situation)
    if words is None or sex not in (Sex.MALE, Sex.FEMALE):
        return FamilySituation(situation).label
    return words[0] if sex == Sex.MALE else words[1]


def born_word(sex: str | None) -> str:
    """« né », « née » (« né·e » when the sex is not known)."""
    return {Sex.MALE: "né", Sex.FEMALE: "née"}.get(sex, "né·e")


class Insured(models.Model):
    """An insured person (assuré) as the caisse's register knows them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    caisse = models.ForeignKey(Caisse, verbose_name="caisse", on_delete=models.PROTECT)
    nir = NirField("NIR", unique=True)
    last_name = models.CharField("nom", max_length=80)
    birth_name = models.CharField("nom de naissance", max_length=80, blank=True)
    first_names = models.CharField("prénoms", max_length=120)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    address_line1 = models.CharField("adresse", max_length=120)
    address_line2 = models.CharField("complément d'adresse", max_length=120, blank=True)
    postal_code = models.CharField("code postal", max_length=5, validators=[POSTAL_CODE])
    city = models.CharField("commune", max_length=80)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    iban = IbanField("IBAN", blank=True)
    medecin_traitant = models.CharField("médecin traitant", max_length=120, blank=True)
    medecin_traitant_since = models.DateField("déclaré le", null=True, blank=True)
    family_situation = models.CharField(
        "situation familiale", max_length=12, choices=FamilySituation.choices, blank=True
    )
    family_situation_since = models.DateField("situation familiale depuis le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "assuré"
        verbose_name_plural = "assurés"
        permissions = [
            ("change_identity", "Peut modifier l'identité d'un assuré (NIR, noms, naissance, sexe)"),
        ]
        ordering = ["last_name", "first_names"]
        indexes = [models.Index(fields=["last_name", "first_names"])]
        constraints = [
            models.CheckConstraint(condition=Q(nir__regex=NIR_PATTERN), name="insured_nir_shape"),
            models.CheckConstraint(
                condition=Q(family_situation__in=["", *FamilySituation.values]),
                name="insured_family_situation_known",
            ),
            models.CheckConstraint(condition=Q(postal_code__regex=r"^[0-9]{5}$"), name="insured_postal_code"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{first_name(self.first_names)} {self.last_name}".strip()

    @property
    def nir_key(self) -> str:
        return compute_key(self.nir)

    @property
    def nir_masked(self) -> str:
        return Nir(self.nir, self.nir_key).masked

    @property
    def iban_masked(self) -> str:
        return mask_iban(self.iban)

    @property
    def postal_address(self) -> list[str]:
        lines = [f"{self.first_names} {self.last_name}".upper(), self.address_line1]
        if self.address_line2:
            lines.append(self.address_line2)
        lines.append(f"{self.postal_code} {self.city.upper()}")
        return lines

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    @property
    def family_situation_text(self) -> str:
        return family_situation_label(self.family_situation, self.sex)

    @property
    def born(self) -> str:
        return born_word(self.sex)

    @property
    def contact_email(self) -> str:
        """The account's (confirmed) address when there is an account, else the register's."""
        user = getattr(self, "user", None)
        return user.email if user is not None else self.email

    def rights_open_on(self, day: date) -> bool:
        return self.coverage_periods.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day).exists()


class Beneficiary(models.Model):
    """A child or dependant (ayant droit) covered through an insured person."""

    class Relationship(models.TextChoices):
        CHILD = "enfant", "Enfant"
        SPOUSE = "conjoint", "Conjoint"
        OTHER = "autre", "Autre ayant droit"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="beneficiaries"
    )
    relationship = models.CharField("lien", max_length=10, choices=Relationship.choices)
    last_name = models.CharField("nom", max_length=80)
    first_names = models.CharField("prénoms", max_length=120)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices)
    nir = NirField("NIR", unique=True, null=True, blank=True)
    medecin_traitant = models.CharField("médecin traitant", max_length=120, blank=True)

    class Meta:
        verbose_name = "ayant droit"
        verbose_name_plural = "ayants droit"
        ordering = ["birth_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nir__isnull=True) | Q(nir__regex=NIR_PATTERN),
                name="beneficiary_nir_shape",
            ),
        ]

    def __str__(self):
        return f"{first_name(self.first_names)} {self.last_name}".strip()

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    @property
    def born(self) -> str:
        return born_word(self.sex)


class CoveragePeriod(models.Model):
    """Rights open from ``start`` to ``end`` (open-ended when ``end`` is empty)."""

    class Regime(models.TextChoices):
        GENERAL = "general", "Régime général"
        STUDENT = "etudiant", "Régime général (étudiant)"
        AGRICOLE = "agricole", "Régime agricole"
        INDEPENDANT = "independant", "Travailleurs indépendants"

    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="coverage_periods"
    )
    regime = models.CharField("régime", max_length=12, choices=Regime.choices)
    start = models.DateField("droits ouverts du")
    end = models.DateField("au", null=True, blank=True)

    class Meta:
        verbose_name = "période de droits"
        verbose_name_plural = "périodes de droits"
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="coverage_end_after_start",
                violation_error_message="La fin des droits précède leur ouverture.",
            ),
        ]

    def __str__(self):
        end = f"{self.end:%d/%m/%Y}" if self.end else "…"
        return f"{self.get_regime_display()} du {self.start:%d/%m/%Y} au {end}"


class Exemption(models.Model):
    """A situation that changes the rate or the deductions (ALD, maternité, CSS, AME)."""

    class Kind(models.TextChoices):
        ALD = "ald", "Affection de longue durée (ALD)"
        MATERNITY = "maternite", "Maternité (à partir du 6e mois)"
        CSS = "css", "Complémentaire santé solidaire (CSS)"
        AME = "ame", "Aide médicale de l'État (AME)"

    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="exemptions"
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="ayant droit concerné",
        help_text="Vide : l'assuré lui-même.",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exemptions",
    )
    kind = models.CharField("situation", max_length=10, choices=Kind.choices)
    start = models.DateField("du")
    end = models.DateField("au", null=True, blank=True)

    class Meta:
        verbose_name = "exonération"
        verbose_name_plural = "exonérations"
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="exemption_end_after_start",
                violation_error_message="La fin de la période précède son début.",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class User(AbstractUser):
    """A web account. An insured person's login is the 13 characters of their NIR.

    Staff accounts have no insured record. One account per insured person is
    enforced by the one-to-one link.
    """

    insured = models.OneToOneField(
        Insured,
        verbose_name="assuré",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
    )
    failed_logins = models.PositiveSmallIntegerField("échecs de connexion consécutifs", default=0)
    locked_at = models.DateTimeField("verrouillé le", null=True, blank=True)
    # The last accepted version, kept on the account so that the check on every page reads
    # the row already loaded for the session (the history is TermsAcceptance).
    terms_version = models.CharField("conditions acceptées (version)", max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField("conditions acceptées le", null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = "compte"
        verbose_name_plural = "comptes"
        permissions = [("unlock_user", "Peut déverrouiller un compte")]
        constraints = [
            models.CheckConstraint(
                condition=Q(insured__isnull=True) | Q(is_staff=False),
                name="staff_is_not_insured_account",
            ),
        ]

    @property
    def display_login(self) -> str:
        """What may be shown of the login: never a whole NIR."""
        if self.insured_id:
            return self.insured.nir_masked
        return self.username


class ProvisionalCode(models.Model):
    """An 8-digit code mailed by post to open an account; only its hash is kept."""

    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="provisional_codes"
    )
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField("émis le", auto_now_add=True)
    expires_at = models.DateTimeField("expire le")
    used_at = models.DateTimeField("utilisé le", null=True, blank=True)
    voided_at = models.DateTimeField("annulé le", null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField("essais erronés", default=0)

    class Meta:
        verbose_name = "code provisoire"
        verbose_name_plural = "codes provisoires"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["insured"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="one_live_code_per_insured",
            ),
        ]

    def __str__(self):
        return f"code du {self.created_at:%d/%m/%Y}"


class PostalLetter(models.Model):
    """A letter for the mailroom: rendered as a PDF by a job, printed and posted by staff."""

    class Kind(models.TextChoices):
        PROVISIONAL_CODE = "code", "Code provisoire"
        # The same code letter, sent unasked when rights open (see accounts/services/rights.py).
        WELCOME = "bienvenue", "Bienvenue (code provisoire)"

    class Status(models.TextChoices):
        PREPARING = "preparing", "En préparation"
        TO_PRINT = "to_print", "À imprimer"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"  # the rendering gave up
        CANCELLED = "cancelled", "Annulé"  # its code was replaced or withdrawn before posting

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="letters"
    )
    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    status = models.CharField(
        "état", max_length=10, choices=Status.choices, default=Status.PREPARING, db_index=True
    )
    provisional_code = models.OneToOneField(
        ProvisionalCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="letter"
    )
    pdf = models.FileField("PDF", upload_to="letters/%Y/%m/", blank=True)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    ready_at = models.DateTimeField("prêt le", null=True, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    sent_by = models.ForeignKey(
        "User",
        verbose_name="envoyé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "courrier"
        verbose_name_plural = "courriers (salle du courrier)"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.created_at:%d/%m/%Y %H:%M}"


def user_display(user) -> str:
    """How allauth names a user in pages and emails: a first name, never the NIR."""
    if user.insured_id:
        return first_name(user.insured.first_names)
    return user.get_full_name() or user.username


# --- health cards (carte Vitale, CEAM) and the register's histories -------------------

SERIAL_DIGITS = 12


def new_card_serial() -> str:
    """A random serial: it says nothing about the person and cannot be guessed from another."""
    return "".join(str(secrets.randbelow(10)) for _ in range(SERIAL_DIGITS))


class HealthCard(models.Model):
    """A carte Vitale or a carte européenne d'assurance maladie (CEAM) of one person.

    ``beneficiary`` empty means the card is the insured person's own. Status changes go
    through the services in ``accounts/services/cards.py``, each writing a :class:`HealthCardEvent`.
    """

    class Kind(models.TextChoices):
        VITALE = "vitale", "Carte Vitale"
        CEAM = "ceam", "Carte européenne d'assurance maladie"

    class Status(models.TextChoices):
        ORDERED = "ordered", "commandée"
        VALID = "valid", "valide"
        OPPOSED = "opposed", "en opposition"
        REPLACED = "replaced", "remplacée"
        EXPIRED = "expired", "expirée"

    class OrderReason(models.TextChoices):
        FIRST = "first", "première carte"
        RENEWAL = "renewal", "renouvellement"
        LOSS = "loss", "perte"
        THEFT = "theft", "vol"
        MALFUNCTION = "malfunction", "carte défectueuse"

    class OppositionReason(models.TextChoices):
        LOSS = "loss", "perte"
        THEFT = "theft", "vol"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="health_cards"
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="ayant droit titulaire",
        help_text="Vide : l'assuré lui-même.",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="health_cards",
    )
    kind = models.CharField("type", max_length=8, choices=Kind.choices)
    status = models.CharField("état", max_length=10, choices=Status.choices, db_index=True)
    serial_number = models.CharField(
        "numéro de série",
        max_length=SERIAL_DIGITS,
        unique=True,
        default=new_card_serial,
        editable=False,
    )
    order_reason = models.CharField("motif de la commande", max_length=12, choices=OrderReason.choices)
    ordered_at = models.DateTimeField("commandée le", default=timezone.now)
    departure_on = models.DateField("date de départ à l'étranger", null=True, blank=True)
    valid_from = models.DateField("valide depuis le", null=True, blank=True)
    valid_until = models.DateField("valide jusqu'au", null=True, blank=True)
    opposed_at = models.DateTimeField("mise en opposition le", null=True, blank=True)
    opposition_reason = models.CharField(
        "motif de l'opposition", max_length=8, blank=True, choices=OppositionReason.choices
    )

    class Meta:
        verbose_name = "carte"
        verbose_name_plural = "cartes Vitale et CEAM"
        ordering = ["-ordered_at", "-pk"]
        constraints = [
            # Two partial constraints per rule: NULL beneficiaries are never equal in SQL.
            models.UniqueConstraint(
                fields=["insured", "kind"],
                condition=Q(status="valid", beneficiary__isnull=True),
                name="one_valid_card_per_insured",
                violation_error_message="Cette personne a déjà une carte valide de ce type.",
            ),
            models.UniqueConstraint(
                fields=["beneficiary", "kind"],
                condition=Q(status="valid", beneficiary__isnull=False),
                name="one_valid_card_per_beneficiary",
                violation_error_message="Cette personne a déjà une carte valide de ce type.",
            ),
            models.UniqueConstraint(
                fields=["insured", "kind"],
                condition=Q(status="ordered", beneficiary__isnull=True),
                name="one_ordered_card_per_insured",
                violation_error_message="Une carte de ce type est déjà commandée pour cette personne.",
            ),
            models.UniqueConstraint(
                fields=["beneficiary", "kind"],
                condition=Q(status="ordered", beneficiary__isnull=False),
                name="one_ordered_card_per_beneficiary",
                violation_error_message="Une carte de ce type est déjà commandée pour cette personne.",
            ),
            models.CheckConstraint(
                condition=Q(serial_number__regex=rf"^[0-9]{{{SERIAL_DIGITS}}}$"),
                name="health_card_serial_digits",
            ),
            models.CheckConstraint(condition=Q(kind__in=["vitale", "ceam"]), name="health_card_kind_known"),
            models.CheckConstraint(
                condition=Q(status__in=["ordered", "valid", "opposed", "replaced", "expired"]),
                name="health_card_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="opposed")
                | (Q(opposed_at__isnull=False) & Q(opposition_reason__in=["loss", "theft"])),
                name="opposed_card_has_date_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="valid") | Q(valid_from__isnull=False),
                name="valid_card_has_start",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=False, valid_until__gte=models.F("valid_from")),
                name="health_card_validity_order",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.serial_masked}"

    @property
    def serial_masked(self) -> str:
        return f"•••• {self.serial_number[-4:]}"

    @property
    def holder(self):
        return self.beneficiary or self.insured

    @property
    def in_service(self) -> bool:
        return self.status == self.Status.VALID and not self.past_validity

    @property
    def past_validity(self) -> bool:
        """A CEAM past its end date is expired even before a job marks it so."""
        return bool(self.valid_until) and self.valid_until < timezone.localdate()


class HealthCardEvent(models.Model):
    """One step of a card's life, as the insured person and the staff see it."""

    card = models.ForeignKey(
        HealthCard, verbose_name="carte", on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField("le", default=timezone.now)
    status = models.CharField("état", max_length=10, choices=HealthCard.Status.choices)
    note = models.CharField("détail", max_length=200, blank=True)
    actor = models.ForeignKey(
        "User",
        verbose_name="par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "étape de la carte"
        verbose_name_plural = "historique de la carte"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y} – {self.get_status_display()}"


class IbanHistory(models.Model):
    """An IBAN the caisse paid to before the current one."""

    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="iban_history"
    )
    iban = IbanField("IBAN")
    valid_from = models.DateField("utilisé du", null=True, blank=True)
    valid_until = models.DateField("au")
    changed_by = models.ForeignKey(
        "User",
        verbose_name="changé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "ancien IBAN"
        verbose_name_plural = "anciens IBAN"
        ordering = ["-valid_until", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="iban_history_period_order",
            ),
        ]

    def __str__(self):
        return mask_iban(self.iban)

    @property
    def iban_masked(self) -> str:
        return mask_iban(self.iban)


class FamilySituationChange(models.Model):
    """A family situation recorded for an insured person (the newest is on the record)."""

    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="family_situation_changes"
    )
    situation = models.CharField("situation familiale", max_length=12, choices=FamilySituation.choices)
    since = models.DateField("depuis le")
    changed_by = models.ForeignKey(
        "User",
        verbose_name="enregistré par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "changement de situation familiale"
        verbose_name_plural = "changements de situation familiale"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_situation_display()} depuis le {self.since:%d/%m/%Y}"


class TermsAcceptance(models.Model):
    """One acceptance of the terms of use and the privacy notice: by whom, which version, when.

    Either an account (at sign-up, or a new version later) or, for a request filed without an
    account, the insured person and the request's public reference.
    """

    class Context(models.TextChoices):
        SIGNUP = "signup", "Création du compte"
        NEW_VERSION = "new_version", "Nouvelle version des conditions"
        VITALE_PUBLIC = "vitale_public", "Carte Vitale commandée sans compte"

    user = models.ForeignKey(
        User,
        verbose_name="compte",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="terms_acceptances",
    )
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    version = models.CharField("version des conditions", max_length=20)
    terms_accepted = models.BooleanField("conditions d'utilisation acceptées")
    privacy_acknowledged = models.BooleanField("notice de protection des données lue")
    context = models.CharField("occasion", max_length=16, choices=Context.choices)
    reference = models.CharField("référence de la démarche", max_length=40, blank=True)
    accepted_at = models.DateTimeField("accepté le", default=timezone.now)

    class Meta:
        verbose_name = "acceptation des conditions"
        verbose_name_plural = "acceptations des conditions"
        ordering = ["-accepted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(terms_accepted=True, privacy_acknowledged=True),
                name="terms_acceptance_both_boxes",
            ),
            models.CheckConstraint(
                condition=Q(context__in=["signup", "new_version", "vitale_public"]),
                name="terms_acceptance_context_known",
            ),
        ]

    def __str__(self):
        return f"{self.version} – {self.accepted_at:%d/%m/%Y %H:%M}"


def data_export_upload_to(export, filename):
    return f"exports/{export.public_id}.zip"


class DataExport(models.Model):
    """« Télécharger mes données »: an archive built by a job, for its owner only, expiring."""

    class Status(models.TextChoices):
        PENDING = "pending", "En préparation"
        READY = "ready", "Prêt"
        FAILED = "failed", "Échec"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        User, verbose_name="compte", on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.PENDING)
    file = models.FileField("archive", upload_to=data_export_upload_to, blank=True)
    size = models.PositiveIntegerField("taille (octets)", default=0)
    requested_at = models.DateTimeField("demandé le", default=timezone.now)
    ready_at = models.DateTimeField("prêt le", null=True, blank=True)
    expires_at = models.DateTimeField("expire le")

    class Meta:
        verbose_name = "export de données personnelles"
        verbose_name_plural = "exports de données personnelles"
        ordering = ["-requested_at"]

    def __str__(self):
        return f"export {self.public_id}"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def filename(self) -> str:
        return f"mes-donnees-{self.requested_at:%Y-%m-%d}.zip"
