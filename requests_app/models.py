"""Démarches: requests filed by insured people, their workflow and their attachments."""

import uuid
from datetime import date, timedelta

import holidays
from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Beneficiary, Insured
from ameli_portal.idempotency import key_field, unique_key_per


class Kind(models.TextChoices):
    VITALE = "carte_vitale", "Carte Vitale"
    PRESTATION = "prestation", "Demande de prestation"
    COTISATION = "delai_cotisation", "Délai de paiement de cotisation"
    FAMILY = "situation_familiale", "Changement de situation familiale"
    RIB = "rib", "Changement de coordonnées bancaires"
    CHILD = "enfant", "Rattachement d'un enfant"
    CEAM = "ceam", "Carte européenne d'assurance maladie"


class Status(models.TextChoices):
    FILED = "deposee", "Déposée"
    REVIEW = "instruction", "En instruction"
    COMPLEMENT = "complement", "Complément demandé"
    ACCEPTED = "acceptee", "Acceptée"
    REFUSED = "refusee", "Refusée"
    CLOSED = "cloturee", "Clôturée"


class ActorKind(models.TextChoices):
    INSURED = "insured", "Assuré"
    STAFF = "staff", "Caisse"
    SYSTEM = "system", "Système"


# Working days the caisse gives itself for each kind (weekends skipped, not public holidays).
PROCESSING_DAYS = {
    Kind.VITALE: 15,
    Kind.PRESTATION: 30,
    Kind.COTISATION: 20,
    Kind.FAMILY: 15,
    Kind.RIB: 10,
    Kind.CHILD: 15,
    Kind.CEAM: 10,
}


# Public holidays of metropolitan France (Easter Monday, Ascension, Whit Monday... computed per
# year, on demand): the caisse is closed on those days.
_HOLIDAYS = holidays.country_holidays("FR")


def add_working_days(day: date, count: int) -> date:
    """The day ``count`` working days after ``day``: Monday to Friday, except public holidays."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _HOLIDAYS:
            count -= 1
    return day


def _choices_check(field: str, choices) -> Q:
    return Q(**{f"{field}__in": [value for value, _ in choices]})


class Request(models.Model):
    """A démarche: one kind, one status, what the insured asked (``data``) and what was decided."""

    Kind = Kind
    Status = Status

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="requests"
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="ayant droit concerné",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        help_text="Vide : l'assuré lui-même (ou un enfant pas encore rattaché).",
    )
    kind = models.CharField("type", max_length=24, choices=Kind.choices)
    status = models.CharField("état", max_length=12, choices=Status.choices, default=Status.FILED)
    # What the kind's form asked for, as its cleaned data (dates in ISO, amounts as strings).
    data = models.JSONField("contenu de la demande", default=dict, blank=True)
    filed_without_account = models.BooleanField("déposée sans compte", default=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="conseiller",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
        limit_choices_to={"is_staff": True},
    )
    filed_at = models.DateTimeField("déposée le", auto_now_add=True)
    expected_by = models.DateField("réponse prévue le")
    expected_from_insured = models.TextField("attendu de l'assuré", blank=True)
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decision_reason = models.TextField("motif de la décision", blank=True)
    decided_amount = models.DecimalField(
        "montant accordé", max_digits=10, decimal_places=2, null=True, blank=True
    )
    granted_months = models.PositiveSmallIntegerField("délai accordé (mois)", null=True, blank=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    # The token of the form that filed it: the same form sent twice files one démarche.
    idempotency_key = key_field()

    class Meta:
        verbose_name = "démarche"
        verbose_name_plural = "démarches"
        ordering = ["-filed_at"]
        indexes = [
            models.Index(fields=["insured", "-filed_at"]),
            models.Index(fields=["status", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(condition=_choices_check("kind", Kind.choices), name="request_kind_valid"),
            models.CheckConstraint(
                condition=_choices_check("status", Status.choices), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["acceptee", "refusee"]) | Q(decided_at__isnull=False),
                name="request_decision_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status="refusee") | ~Q(decision_reason=""),
                name="request_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(decided_amount__isnull=True) | Q(decided_amount__gte=0),
                name="request_decided_amount_positive",
            ),
            unique_key_per("insured", name="request_filed_once_per_form"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} du {self.filed_at:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.status in (Status.FILED, Status.REVIEW, Status.COMPLEMENT)

    @property
    def awaits_insured(self) -> bool:
        return self.status == Status.COMPLEMENT

    @property
    def reference(self) -> str:
        """A short reference to quote on the phone (the start of the public id)."""
        return self.public_id.hex[:8].upper()


class RequestEvent(models.Model):
    """One line of the timeline: a status change, who made it, when and why."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("de", max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField("vers", max_length=12, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_kind = models.CharField("acteur", max_length=8, choices=ActorKind.choices)
    reason = models.TextField("motif", blank=True)
    at = models.DateTimeField("le", auto_now_add=True)
    # The token of the insured person's complement form: one answer per form sent.
    idempotency_key = key_field()

    class Meta:
        verbose_name = "étape de démarche"
        verbose_name_plural = "étapes de démarche"
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("to_status", Status.choices), name="request_event_to_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(from_status="") | _choices_check("from_status", Status.choices),
                name="request_event_from_status_valid",
            ),
            models.CheckConstraint(
                condition=_choices_check("actor_kind", ActorKind.choices),
                name="request_event_actor_kind_valid",
            ),
            unique_key_per("request", name="request_event_once_per_form"),
        ]

    def __str__(self):
        return f"{self.get_to_status_display()} le {self.at:%d/%m/%Y %H:%M}"


def attachment_upload_to(attachment, filename: str) -> str:
    # The server picks the name: never anything the user typed.
    return f"demarches/{attachment.request.public_id}/{attachment.public_id}.{attachment.extension}"


class AttachmentType(models.TextChoices):
    PDF = "application/pdf", "PDF"
    JPEG = "image/jpeg", "Image JPEG"
    PNG = "image/png", "Image PNG"


class Attachment(models.Model):
    ContentType = AttachmentType
    EXTENSIONS = {ContentType.PDF: "pdf", ContentType.JPEG: "jpg", ContentType.PNG: "png"}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    label = models.CharField("pièce", max_length=80)
    file = models.FileField("fichier", upload_to=attachment_upload_to, max_length=200)
    content_type = models.CharField("type détecté", max_length=20, choices=ContentType.choices)
    size = models.PositiveIntegerField("taille (octets)")
    original_name = models.CharField("nom d'origine (affichage seulement)", max_length=120, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("déposée le", auto_now_add=True)
    uploaded_by_kind = models.CharField("déposée par", max_length=8, choices=ActorKind.choices)
    added_for_complement = models.BooleanField("en réponse à un complément", default=False)

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("content_type", AttachmentType.choices),
                name="attachment_content_type_valid",
            ),
            models.CheckConstraint(condition=Q(size__lte=5 * 1024 * 1024), name="attachment_at_most_5mb"),
        ]

    def __str__(self):
        return self.label

    @property
    def extension(self) -> str:
        return self.EXTENSIONS[self.content_type]

    @property
    def download_name(self) -> str:
        return f"piece-{self.public_id.hex[:8]}.{self.extension}"


class PublicConfirmation(models.Model):
    """A request filed without an account, waiting for its holder or for staff to confirm it.

    Anyone who knows a person's identity can fill the public form: nothing irreversible
    (a card opposed) happens until the holder types the code emailed to the address on
    file, or a conseiller accepts the request. Only the code's hash is kept; it is drawn
    by the email job (see ``services.public_confirmation_send``). No address on file: no
    code, staff only.
    """

    class ConfirmedBy(models.TextChoices):
        CODE = "code", "L'assuré, par le code envoyé par courriel"
        STAFF = "staff", "Un conseiller de la caisse"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="public_confirmation")
    by_email = models.BooleanField("code envoyé par courriel")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    expires_at = models.DateTimeField("code valable jusqu'au")
    failed_attempts = models.PositiveSmallIntegerField("essais erronés", default=0)
    confirmed_at = models.DateTimeField("confirmée le", null=True, blank=True)
    confirmed_by = models.CharField("confirmée par", max_length=8, choices=ConfirmedBy.choices, blank=True)
    voided_at = models.DateTimeField("annulée le", null=True, blank=True)

    class Meta:
        verbose_name = "confirmation d'une démarche sans compte"
        verbose_name_plural = "confirmations des démarches sans compte"
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, confirmed_by="")
                | (Q(confirmed_at__isnull=False) & ~Q(confirmed_by="")),
                name="public_confirmation_confirmed_by_whom",
            ),
        ]

    def __str__(self):
        return f"confirmation de {self.request}"

    @property
    def pending(self) -> bool:
        return self.confirmed_at is None and self.voided_at is None
