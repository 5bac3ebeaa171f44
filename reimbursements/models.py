"""Care posted by staff, its settlement by the rules engine, payments and the ledger.

Settlements snapshot the engine's figures at posting time. Ledger entries are
immutable (the database refuses UPDATE and DELETE) and every journal balances
to zero; a correction is a reversing journal, never an edit.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone

from accounts.models import Beneficiary, Insured
from ameli_portal.formats import euros

from . import rules

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class CareKind(models.TextChoices):
    DOCTOR = rules.CareKind.DOCTOR.value, "Médecin"
    MIDWIFE = rules.CareKind.MIDWIFE.value, "Sage-femme"
    DENTIST = rules.CareKind.DENTIST.value, "Dentiste"
    AUXILIARY = rules.CareKind.AUXILIARY.value, "Auxiliaire médical"
    LAB = rules.CareKind.LAB.value, "Analyses de laboratoire"
    IMAGING = rules.CareKind.IMAGING.value, "Imagerie"
    MEDICINE = rules.CareKind.MEDICINE.value, "Médicaments"
    HOSPITAL = rules.CareKind.HOSPITAL.value, "Hospitalisation"
    TRANSPORT = rules.CareKind.TRANSPORT.value, "Transport"
    EMERGENCY = rules.CareKind.EMERGENCY.value, "Urgences sans hospitalisation"
    OPTICS = rules.CareKind.OPTICS.value, "Optique"
    DENTAL_PROSTHESIS = rules.CareKind.DENTAL_PROSTHESIS.value, "Prothèse dentaire"
    AUDIOLOGY = rules.CareKind.AUDIOLOGY.value, "Audiologie"


class Basket(models.TextChoices):
    RAC_ZERO = rules.Basket.RAC_ZERO.value, "100 % Santé"
    MODERATE = rules.Basket.MODERATE.value, "Tarifs maîtrisés"
    FREE = rules.Basket.FREE.value, "Tarifs libres"


class Specialty(models.TextChoices):
    GENERAL_PRACTICE = rules.Specialty.GENERAL_PRACTICE.value, "Médecine générale"
    GYNAECOLOGY = rules.Specialty.GYNAECOLOGY.value, "Gynécologie"
    OPHTHALMOLOGY = rules.Specialty.OPHTHALMOLOGY.value, "Ophtalmologie"
    PSYCHIATRY = rules.Specialty.PSYCHIATRY.value, "Psychiatrie"
    STOMATOLOGY = rules.Specialty.STOMATOLOGY.value, "Stomatologie"
    OTHER = rules.Specialty.OTHER.value, "Autre spécialité"


class Professional(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rpps = models.CharField(
        "n° RPPS / FINESS",
        max_length=11,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{9,11}$", "9 à 11 chiffres.")],
    )
    name = models.CharField("nom", max_length=120)
    kind = models.CharField("profession", max_length=20, choices=CareKind.choices)
    specialty = models.CharField("spécialité", max_length=20, choices=Specialty.choices, blank=True)
    sector = models.CharField(
        "secteur", max_length=1, choices=[("1", "Secteur 1"), ("2", "Secteur 2")], default="1"
    )
    optam = models.BooleanField("adhérent OPTAM", default=False)
    city = models.CharField("commune", max_length=80, blank=True)

    class Meta:
        verbose_name = "professionnel de santé"
        verbose_name_plural = "professionnels de santé"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="doctor") | ~Q(specialty=""), name="doctor_has_specialty"
            ),
        ]

    def __str__(self):
        return self.name


class CareSheet(models.Model):
    """A feuille de soins: one professional, one patient, one or more lines."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Saisie"
        POSTED = "posted", "Liquidée"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="care_sheets"
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="patient (ayant droit)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_sheets",
        help_text="Vide : l'assuré lui-même.",
    )
    professional = models.ForeignKey(
        Professional, verbose_name="professionnel", on_delete=models.PROTECT, related_name="care_sheets"
    )
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.DRAFT)
    received_on = models.DateField("reçue le")
    tiers_payant = models.BooleanField("tiers payant", default=False)
    coordinated_path = models.BooleanField("parcours de soins respecté", default=True)
    ald_related = models.BooleanField("en rapport avec une ALD", default=False)
    posted_at = models.DateTimeField("liquidée le", null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    import_batch = models.CharField("lot d'import", max_length=40, blank=True, db_index=True)
    external_ref = models.CharField("référence de la feuille (import)", max_length=40, blank=True)

    class Meta:
        verbose_name = "feuille de soins"
        verbose_name_plural = "feuilles de soins"
        ordering = ["-received_on", "-id"]
        permissions = [
            ("post_caresheet", "Peut liquider une feuille de soins"),
            ("reverse_caresheet", "Peut annuler une ligne liquidée"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(posted_at__isnull=False), name="posted_sheet_has_date"
            ),
            # A re-sent file never creates the same sheet twice.
            models.UniqueConstraint(
                fields=["external_ref"], condition=~Q(external_ref=""), name="caresheet_external_ref_unique"
            ),
        ]

    def __str__(self):
        return f"Feuille du {self.received_on:%d/%m/%Y} – {self.professional}"

    @property
    def patient(self):
        return self.beneficiary or self.insured


class CareAct(models.Model):
    """One line of a care sheet."""

    sheet = models.ForeignKey(CareSheet, on_delete=models.CASCADE, related_name="acts")
    act_code = models.CharField("code acte", max_length=12)
    label = models.CharField("libellé", max_length=120, blank=True)
    care_date = models.DateField("date des soins")
    end_date = models.DateField("date de sortie", null=True, blank=True)
    kind = models.CharField("nature", max_length=20, choices=CareKind.choices)
    charged = models.DecimalField("montant facturé", **MONEY, validators=[MinValueValidator(ZERO)])
    quantity = models.PositiveIntegerField("quantité", default=1)
    coefficient = models.DecimalField("coefficient", max_digits=6, decimal_places=2, null=True, blank=True)
    base = models.DecimalField("base unitaire (si non tarifée)", **MONEY, null=True, blank=True)
    medicine_rate = models.DecimalField(
        "taux du médicament",
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        choices=[
            (Decimal("1.00"), "100 %"),
            (Decimal("0.65"), "65 %"),
            (Decimal("0.30"), "30 %"),
            (Decimal("0.15"), "15 %"),
        ],
    )
    psychiatric = models.BooleanField("psychiatrie", default=False)
    basket = models.CharField(
        "panier 100 % Santé",
        max_length=10,
        choices=Basket.choices,
        blank=True,
        help_text="Optique, prothèse dentaire, audiologie.",
    )
    emergency_transport = models.BooleanField(
        "transport d'urgence", default=False, help_text="SMUR ou transport urgent : pas de franchise."
    )
    costly_act = models.BooleanField(
        "acte de 120 € ou plus (séjour)",
        default=False,
        help_text="Séjour comportant un acte coûteux : forfait au lieu du ticket modérateur.",
    )

    class Meta:
        verbose_name = "acte"
        verbose_name_plural = "actes"
        ordering = ["care_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(charged__gte=0), name="act_charged_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="act_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.act_code} du {self.care_date:%d/%m/%Y}"


class Settlement(models.Model):
    """The engine's result for one act, as posted: immutable once written."""

    class Payee(models.TextChoices):
        INSURED = rules.Payee.INSURED.value, "Assuré"
        PROFESSIONAL = rules.Payee.PROFESSIONAL.value, "Professionnel (tiers payant)"

    act = models.OneToOneField(CareAct, on_delete=models.PROTECT, related_name="settlement")
    insured = models.ForeignKey(Insured, on_delete=models.PROTECT, related_name="settlements")
    beneficiary = models.ForeignKey(
        Beneficiary, null=True, on_delete=models.PROTECT, related_name="settlements"
    )
    care_date = models.DateField(db_index=True)
    base = models.DecimalField("base de remboursement", **MONEY)
    rate = models.DecimalField("taux", max_digits=4, decimal_places=2)
    amo = models.DecimalField("part Assurance Maladie", **MONEY)
    ticket_moderateur = models.DecimalField("ticket modérateur", **MONEY)
    depassement = models.DecimalField("dépassement", **MONEY)
    participation_due = models.DecimalField(**MONEY)
    franchise_due = models.DecimalField(**MONEY)
    participation_withheld = models.DecimalField("participation forfaitaire retenue", **MONEY)
    franchise_withheld = models.DecimalField("franchise retenue", **MONEY)
    carried_forward = models.DecimalField("reporté", **MONEY)
    debt_recovered = models.DecimalField("reprise de report", **MONEY)
    paid = models.DecimalField("versé", **MONEY)
    payee = models.CharField("versé à", max_length=12, choices=Payee.choices)
    hospital_daily_charge = models.DecimalField("forfait journalier", **MONEY)
    out_of_pocket = models.DecimalField("reste à charge", **MONEY)
    posted_at = models.DateTimeField(auto_now_add=True)
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="settlements"
    )

    class Meta:
        verbose_name = "décompte"
        verbose_name_plural = "décomptes"
        ordering = ["-care_date", "-id"]
        indexes = [
            models.Index(fields=["insured", "care_date"]),
            # « En cours de paiement »: only the unpaid lines, in the page's order, so that
            # finding a person's few pending lines does not read their whole history.
            models.Index(
                fields=["insured", "care_date", "id"],
                condition=Q(payment__isnull=True),
                name="settlement_pending_idx",
            ),
            # A person's payments, each found by one probe (queries._payment_rows): as many
            # probes as payments, however many lines they carry.
            models.Index(
                fields=["insured", "payment"],
                condition=Q(payment__isnull=False),
                name="settlement_paid_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(paid__gte=0), name="settlement_paid_not_negative"),
            # Round(): SQLite (the embedded default) evaluates decimals as floats.
            models.CheckConstraint(
                condition=Q(amo=Round(F("base") - F("ticket_moderateur"), 2)),
                name="settlement_amo_plus_tm_is_base",
            ),
            models.CheckConstraint(
                condition=Q(payee="professional")
                | Q(
                    paid=Round(
                        F("amo")
                        - F("participation_withheld")
                        - F("franchise_withheld")
                        - F("debt_recovered"),
                        2,
                    )
                ),
                name="settlement_paid_adds_up",
            ),
        ]

    def __str__(self):
        return f"Décompte {self.act.act_code} du {self.care_date:%d/%m/%Y} : {euros(self.paid)}"


class Reversal(models.Model):
    """A posted act cancelled by staff, with the reason; its journal reverses the settlement's."""

    settlement = models.OneToOneField(Settlement, on_delete=models.PROTECT, related_name="reversal")
    reason = models.CharField("motif", max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )

    class Meta:
        verbose_name = "annulation"
        verbose_name_plural = "annulations"

    def __str__(self):
        return f"Annulation du {self.created_at:%d/%m/%Y} : {self.reason}"


class DeductionRefund(models.Model):
    """Deductions recovered for an act cancelled since, given back on the next payment to the insured.

    An act's deductions carried forward are recovered from a later reimbursement of the same
    patient; when the act is then cancelled, what was recovered for it was not owed. Its
    reversal brings the patient's debt (the ledger's RECEIVABLE, per patient) below zero by
    that much: the refund brings it back to zero and is paid with the next payment, as a
    line of its own on every screen (deductions.py).
    """

    reversal = models.OneToOneField(Reversal, on_delete=models.PROTECT, related_name="refund")
    insured = models.ForeignKey(Insured, on_delete=models.PROTECT, related_name="deduction_refunds")
    beneficiary = models.ForeignKey(
        Beneficiary, null=True, blank=True, on_delete=models.PROTECT, related_name="deduction_refunds"
    )
    amount = models.DecimalField("montant rendu", **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )

    class Meta:
        verbose_name = "retenues rendues"
        verbose_name_plural = "retenues rendues"
        indexes = [
            models.Index(fields=["insured"], condition=Q(payment__isnull=True), name="refund_pending_idx")
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self):
        return f"Retenues rendues : {euros(self.amount)}"


class Payment(models.Model):
    """A transfer: to the insured's IBAN, or to a professional under tiers payant."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    professional = models.ForeignKey(
        Professional, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField("montant", **MONEY)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    paid_on = models.DateField("date de paiement", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(insured__isnull=True, professional__isnull=False)
                | Q(insured__isnull=False, professional__isnull=True),
                name="payment_has_one_payee",
            ),
        ]

    def __str__(self):
        return f"Paiement de {euros(self.amount)} le {self.paid_on:%d/%m/%Y}"


class Account(models.TextChoices):
    EXPENSE = "expense", "Prestations (charge)"
    INSURED_PAYABLE = "insured_payable", "À verser aux assurés"
    PROFESSIONAL_PAYABLE = "professional_payable", "À verser aux professionnels"
    DEDUCTIONS = "deductions", "Participations et franchises"
    RECEIVABLE = "receivable", "Retenues reportées (à reprendre)"
    BANK = "bank", "Banque"
    DAILY_ALLOWANCE_EXPENSE = "ij_expense", "Indemnités journalières (charge)"
    SOCIAL_LEVIES = "social_levies", "CSG et CRDS à reverser"


class Journal(models.Model):
    class Kind(models.TextChoices):
        SETTLEMENT = "settlement", "Liquidation"
        REVERSAL = "reversal", "Annulation"
        PAYMENT = "payment", "Paiement"
        REFUND = "refund", "Retenues rendues"
        DAILY_ALLOWANCE = "ij", "Indemnités journalières"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    settlement = models.ForeignKey(Settlement, null=True, on_delete=models.PROTECT, related_name="journals")
    payment = models.OneToOneField(Payment, null=True, on_delete=models.PROTECT, related_name="journal")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    memo = models.CharField(max_length=300, blank=True)
    posted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "écriture"
        verbose_name_plural = "journal comptable"
        ordering = ["-posted_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} n° {self.pk}"


class LedgerEntry(models.Model):
    """One leg of a journal. The database refuses UPDATE and DELETE on this table."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(max_length=24, choices=Account.choices)
    insured = models.ForeignKey(Insured, null=True, on_delete=models.PROTECT, related_name="+")
    professional = models.ForeignKey(Professional, null=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = "ligne d'écriture"
        verbose_name_plural = "lignes d'écriture"
        indexes = [models.Index(fields=["account", "insured"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_not_zero"),
        ]

    def __str__(self):
        sign = "+" if self.amount > 0 else ""  # a debit « +19,00 € », a credit « -19,00 € »
        return f"{self.get_account_display()} {sign}{euros(self.amount)}"


class DailyAllowance(models.Model):
    """Indemnités journalières (IJ) paid to the insured for a period off work."""

    class Kind(models.TextChoices):
        SICKNESS = "maladie", "Maladie"
        MATERNITY = "maternite", "Maternité"
        PATERNITY = "paternite", "Paternité et accueil de l'enfant"
        WORK_ACCIDENT = "at_mp", "Accident du travail / maladie professionnelle"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="daily_allowances"
    )
    kind = models.CharField("risque", max_length=10, choices=Kind.choices)
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    days = models.PositiveIntegerField("jours indemnisés")
    daily_gross = models.DecimalField("indemnité journalière brute", **MONEY)
    gross = models.DecimalField("montant brut", **MONEY)
    csg_crds = models.DecimalField("CSG et CRDS retenues", **MONEY)
    net = models.DecimalField("montant net versé", **MONEY)
    taxable = models.DecimalField("montant imposable", **MONEY)
    employer = models.CharField("employeur", max_length=120, blank=True)
    paid_on = models.DateField("date de paiement", db_index=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="daily_allowance"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "indemnité journalière"
        verbose_name_plural = "indemnités journalières"
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["insured", "paid_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="ij_period_ordered"),
            models.CheckConstraint(condition=Q(days__gte=1), name="ij_days_positive"),
            models.CheckConstraint(
                condition=Q(net=Round(F("gross") - F("csg_crds"), 2)), name="ij_net_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(gross=Round(F("daily_gross") * F("days"), 2)), name="ij_gross_adds_up"
            ),
        ]

    def __str__(self):
        return f"IJ du {self.period_start:%d/%m/%Y} au {self.period_end:%d/%m/%Y} : {euros(self.net)}"


class Vaccination(models.Model):
    """A vaccination on record (what remains useful of the former pass sanitaire)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    insured = models.ForeignKey(
        Insured, verbose_name="assuré", on_delete=models.PROTECT, related_name="vaccinations"
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        verbose_name="patient (ayant droit)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vaccinations",
        help_text="Vide : l'assuré lui-même.",
    )
    vaccine = models.CharField("vaccin", max_length=120)
    disease = models.CharField("maladie ciblée", max_length=120)
    dose = models.PositiveSmallIntegerField("dose n°", default=1)
    vaccinated_on = models.DateField("date")
    batch_number = models.CharField("n° de lot", max_length=40, blank=True)
    vaccinator = models.CharField("vaccinateur", max_length=120, blank=True)

    class Meta:
        verbose_name = "vaccination"
        verbose_name_plural = "vaccinations"
        ordering = ["vaccinated_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(dose__gte=1), name="vaccination_dose_positive"),
        ]

    def __str__(self):
        return f"{self.vaccine} ({self.disease}) du {self.vaccinated_on:%d/%m/%Y}"


def import_stall_minutes() -> int:
    """Minutes without a finished batch after which a running import is deemed interrupted."""
    return getattr(settings, "IMPORT_RUN_STALL_MINUTES", 15)


def import_upload_to(run, filename):
    return f"imports/{run.public_id}/fichier.csv"


def import_rejects_to(run, filename):
    return f"imports/{run.public_id}/rejets.csv"


def import_part_rejects_to(part, filename):
    return f"imports/{part.run.public_id}/rejets-r{part.attempt}-p{part.index}.csv"


def import_parts() -> int:
    """Parts an uploaded file is split into (by insured person), one Celery task each."""
    return max(1, int(getattr(settings, "IMPORT_PARTS", 2)))


class ImportRun(models.Model):
    """A CSV file of care sheets uploaded in the back office, imported by a job."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En cours"
        DONE = "done", "Terminé"
        FAILED = "failed", "Échec"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField("fichier", upload_to=import_upload_to, max_length=200)
    file_name = models.CharField("nom du fichier", max_length=200)
    file_size = models.PositiveBigIntegerField("taille (octets)")
    post = models.BooleanField("liquider les feuilles", default=True)
    status = models.CharField(
        "état", max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    lines_total = models.PositiveIntegerField("lignes du fichier (estimation)", default=0)
    lines_read = models.PositiveIntegerField("lignes lues", default=0)
    lines_imported = models.PositiveIntegerField("lignes importées", default=0)
    lines_rejected = models.PositiveIntegerField("lignes rejetées", default=0)
    sheets_imported = models.PositiveIntegerField("feuilles importées", default=0)
    error = models.CharField("erreur", max_length=500, blank=True)
    rejects = models.FileField("rapport des rejets", upload_to=import_rejects_to, max_length=200, blank=True)
    import_batch = models.CharField("lot d'import", max_length=40, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="lancé par", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("déposé le", auto_now_add=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier lot le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    resumed = models.PositiveSmallIntegerField("relances", default=0)

    class Meta:
        verbose_name = "import de feuilles de soins"
        verbose_name_plural = "imports de feuilles de soins"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Import de « {self.file_name} » du {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def stalled(self) -> bool:
        """Running, but no batch done for a while: its worker has died (a batch of 2,000 rows
        takes seconds). The file can be imported again from the start: the sheets this run
        already imported are recognised and kept, not imported twice."""
        last = self.heartbeat_at or self.started_at
        return (
            self.status == self.Status.RUNNING
            and last is not None
            and last < timezone.now() - timedelta(minutes=import_stall_minutes())
        )

    @property
    def can_resume(self) -> bool:
        return self.stalled or self.status == self.Status.FAILED

    @property
    def status_text(self) -> str:
        return "Interrompu" if self.stalled else self.get_status_display()

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.lines_total:
            return 0
        return min(99, self.lines_read * 100 // self.lines_total)


class ImportRunPart(models.Model):
    """One part of an import run's file (its sheets of some insured people), imported by one task.

    The run's counters add up its parts' batches as they go; the last part of an attempt to
    finish writes the run's report of rejections from the parts' own, in file order.
    """

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="parts")
    attempt = models.PositiveSmallIntegerField("relance")
    index = models.PositiveSmallIntegerField("partie")
    of = models.PositiveSmallIntegerField("parties")
    done = models.BooleanField("terminée", default=False)
    error = models.CharField("erreur", max_length=500, blank=True)
    rejects = models.FileField(
        "rejets de la partie", upload_to=import_part_rejects_to, max_length=200, blank=True
    )

    class Meta:
        verbose_name = "partie d'un import"
        verbose_name_plural = "parties d'un import"
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt", "index"], name="importrunpart_once_per_attempt")
        ]

    def __str__(self):
        return f"partie {self.index + 1}/{self.of} (relance {self.attempt}) de {self.run}"


# --- « Mes paiements »: the figures kept per person and month (aggregates.py) -------------


class PaymentFigures(models.Model):
    """The state of one insured person's payment figures (the household's: theirs and their
    beneficiaries'): every write that changes their settlements, reversals or payments gives it
    a new version in its own transaction (aggregates.figures_refresh), under which « Mes
    paiements » caches its rendered counters and chart. A uuid, not a counter: a database made
    afresh with the same cache can never meet an older entry."""

    insured = models.OneToOneField(Insured, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = "version des chiffres de paiement"
        verbose_name_plural = "versions des chiffres de paiement"

    def __str__(self):
        return f"Chiffres de paiement, version {self.version}"


class FiguresMonth(models.Model):
    """One person's figures for one month, summed over their live lines (not reversed): the
    deductions by month of care, what was paid for them by month of payment. The row of no
    month holds what is carried forward and not yet recovered, all years together. Derived
    from the ledger by aggregates.figures_refresh, never written anywhere else."""

    insured = models.ForeignKey(Insured, on_delete=models.CASCADE, related_name="+")
    beneficiary = models.ForeignKey(Beneficiary, null=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(null=True)  # its first day; None: the row of all months
    participation_due = models.DecimalField(default=ZERO, **MONEY)
    franchise_due = models.DecimalField(default=ZERO, **MONEY)
    withheld = models.DecimalField(default=ZERO, **MONEY)  # participations and franchises withheld
    carried_forward = models.DecimalField(default=ZERO, **MONEY)
    paid = models.DecimalField(default=ZERO, **MONEY)
    outstanding = models.DecimalField(default=ZERO, **MONEY)  # carried forward less recovered

    class Meta:
        verbose_name = "chiffres du mois"
        verbose_name_plural = "chiffres des mois"
        indexes = [models.Index(fields=["insured", "month"])]
        # One row per person and month; the beneficiary and the month may both be missing,
        # and a unique constraint does not compare missing values: one constraint per case.
        constraints = [
            models.UniqueConstraint(
                fields=["insured", "beneficiary", "month"],
                condition=Q(beneficiary__isnull=False, month__isnull=False),
                name="figures_month_one_per_beneficiary_month",
            ),
            models.UniqueConstraint(
                fields=["insured", "month"],
                condition=Q(beneficiary__isnull=True, month__isnull=False),
                name="figures_month_one_per_insured_month",
            ),
            models.UniqueConstraint(
                fields=["insured", "beneficiary"],
                condition=Q(beneficiary__isnull=False, month__isnull=True),
                name="figures_month_one_total_per_beneficiary",
            ),
            models.UniqueConstraint(
                fields=["insured"],
                condition=Q(beneficiary__isnull=True, month__isnull=True),
                name="figures_month_one_total_per_insured",
            ),
        ]

    def __str__(self):
        return f"Chiffres de {self.month:%m/%Y}" if self.month else "Chiffres de tous les mois"
