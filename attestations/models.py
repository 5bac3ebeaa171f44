"""Documents the insured download from their account: attestations and relevés."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Insured
from ameli_portal.idempotency import key_field, unique_key_per

# No 0/O, 1/I/L: a code read from paper and typed back must not be ambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """'ABCD-EFGH-JKMN': three groups of four, easier to read aloud and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(value: str) -> str:
    return "".join(c for c in (value or "").upper() if c.isalnum())[: CODE_LENGTH + 4]


def document_upload_to(document, filename: str) -> str:
    # The server picks the name: the public id, never anything the user typed.
    return f"documents/{document.owner_id}/{document.public_id}.pdf"


class Document(models.Model):
    """A document issued to an insured person, rendered as a PDF by a job."""

    class Kind(models.TextChoices):
        RIGHTS = "droits", "Attestation de droits"
        STATEMENT = "releve", "Relevé de remboursements"
        DAILY_ALLOWANCES = "ij", "Attestation de paiement des indemnités journalières"
        TAX = "fiscal", "Relevé fiscal des indemnités journalières"
        VACCINATION = "vaccination", "Attestation de vaccination"
        # A letter of the mailroom (accounts.PostalLetter): only its verification is issued
        # here; the PDF, which carries the provisional code, stays with the letter.
        CODE_LETTER = "code_letter", "Courrier : code provisoire de création de compte"

    # Kinds that cover a period (of payment dates); the others state a situation on a day.
    PERIOD_KINDS = ("releve", "ij", "fiscal")

    class Status(models.TextChoices):
        PENDING = "pending", "En préparation"
        READY = "ready", "Prêt"
        FAILED = "failed", "Échec"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    status = models.CharField(
        "état", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    file = models.FileField("fichier", upload_to=document_upload_to, blank=True)
    # A relevé covers payments made from period_start to period_end, both included; a relevé
    # fiscal covers a calendar year.
    period_start = models.DateField("période du", null=True, blank=True)
    period_end = models.DateField("période au", null=True, blank=True)
    # Attestation de vaccination: "" for the whole household, "assure" for the insured person,
    # else the public id (hex) of one beneficiary.
    person = models.CharField("personne", max_length=32, blank=True)
    letter = models.OneToOneField(
        "accounts.PostalLetter",
        verbose_name="courrier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="document",
        editable=False,
    )
    content_key = models.CharField("empreinte des données", max_length=64, db_index=True)
    verification_code = models.CharField(
        "code de vérification",
        max_length=CODE_LENGTH,
        unique=True,
        default=new_verification_code,
        editable=False,
    )
    issued_at = models.DateTimeField("émis le", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="révoqué par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField("motif de révocation", max_length=200, blank=True)
    failure = models.CharField("erreur", max_length=200, blank=True)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    # The token of the form that asked for it: the same form sent twice asks one document,
    # even when the first one failed or the data changed in between.
    idempotency_key = key_field()

    class Meta:
        verbose_name = "document"
        verbose_name_plural = "documents"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "kind", "content_key"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(file="") | Q(kind="code_letter"),
                name="document_ready_has_file",
            ),
            models.CheckConstraint(
                condition=Q(kind="code_letter") | Q(letter__isnull=True),
                name="document_letter_only_for_code_letter",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(issued_at__isnull=False),
                name="document_ready_is_issued",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["droits", "vaccination", "code_letter"],
                    period_start__isnull=True,
                    period_end__isnull=True,
                )
                # Spelt out: a CHECK on NULL <= NULL is unknown, which PostgreSQL lets through.
                | Q(
                    kind__in=["releve", "ij", "fiscal"],
                    period_start__isnull=False,
                    period_end__isnull=False,
                    period_start__lte=F("period_end"),
                ),
                name="document_period_matches_kind",
            ),
            unique_key_per("owner", name="document_asked_once_per_form"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_stuck(self) -> bool:
        """Pending for longer than a job's lease: its owner may ask for it again."""
        return (
            self.status == self.Status.PENDING
            and self.created_at is not None
            and timezone.now() - self.created_at > timedelta(seconds=settings.JOB_LEASE_SECONDS)
        )

    @property
    def is_letter(self) -> bool:
        """A mailroom letter: checked on the public page, never downloaded from "Mes attestations"."""
        return self.kind == self.Kind.CODE_LETTER

    @property
    def code_display(self) -> str:
        return format_code(self.verification_code)

    @property
    def has_period(self) -> bool:
        return self.period_start is not None

    @property
    def period_display(self) -> str:
        if not self.has_period:
            return ""
        if self.kind == self.Kind.TAX:
            return f"de l'année {self.period_start.year}"
        return f"du {self.period_start:%d/%m/%Y} au {self.period_end:%d/%m/%Y}"

    @property
    def is_feminine(self) -> bool:
        """French agreement in "demandée", "révoquée": attestations are, relevés are not."""
        return self.kind not in (self.Kind.STATEMENT, self.Kind.TAX, self.Kind.CODE_LETTER)

    @property
    def download_name(self) -> str:
        if self.kind == self.Kind.STATEMENT:
            return f"releve-remboursements-{self.period_start:%Y-%m-%d}-{self.period_end:%Y-%m-%d}.pdf"
        if self.kind == self.Kind.DAILY_ALLOWANCES:
            return (
                f"attestation-indemnites-journalieres-{self.period_start:%Y-%m-%d}-"
                f"{self.period_end:%Y-%m-%d}.pdf"
            )
        if self.kind == self.Kind.TAX:
            return f"releve-fiscal-{self.period_start.year}.pdf"
        day = timezone.localtime(self.issued_at or self.created_at).date()
        return f"attestation-{self.kind}-{day:%Y-%m-%d}.pdf"


class MonthlyStatement(models.Model):
    """The monthly relevé prepared by the beat job for one insured: one row per month, so a
    second run of the same month makes no second document and sends no second email."""

    owner = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="monthly_statements"
    )
    month = models.DateField("mois")  # the first day of the month
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField("prévenu le", null=True, blank=True)

    class Meta:
        verbose_name = "relevé mensuel"
        verbose_name_plural = "relevés mensuels"
        constraints = [
            models.UniqueConstraint(fields=["owner", "month"], name="monthly_statement_once"),
        ]

    def __str__(self):
        return f"Relevé mensuel {self.month:%m/%Y}"
