"""One plain form per kind of request, plus the complement and the staff decision forms.

A kind's form cleans to typed values; ``request_data()`` turns them into what
the request stores (JSON: dates in ISO, amounts as strings) and ``uploads``
holds the checked files as (label, CheckedUpload) pairs.
"""

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.fields import IbanFormField, NirFormField
from accounts.forms import IdentityForm
from accounts.models import Beneficiary, FamilySituation, Sex, age_on, family_situation_label
from accounts.services.cards import OWN_VITALE_MIN_AGE
from accounts.terms import TermsFieldsMixin
from ameli_portal.forms import FrenchAmountField
from ameli_portal.idempotency import FIELD as IDEMPOTENCY_FIELD
from ameli_portal.idempotency import IdempotentForm

from .models import Kind
from .uploads import ACCEPT, HELP, MAX_FILES, check_count, check_upload

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_ERROR = {"invalid": "Saisissez une date valide, par exemple 31/01/2026."}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not files:
            if self.required:
                raise ValidationError("Joignez au moins un document.", code="required")
            return []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _file(label: str, *, required=True, help_text=HELP, accept=ACCEPT) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
    )


def _date(label: str, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label, widget=DATE_WIDGET, input_formats=DATE_FORMATS, error_messages=DATE_ERROR, **kwargs
    )


class RequestForm(IdempotentForm):
    """What every kind's form shares: the checked files, the other documents, the stored data,
    and the token that makes it file one démarche however many times it is sent."""

    kind: str = ""
    title = ""
    summary = ""
    # field name -> the label the stored attachment gets
    FILES: dict[str, str] = {}

    documents = MultipleFileField(
        label="Autres justificatifs (facultatif)",
        required=False,
        help_text=f"Vous pouvez en sélectionner plusieurs. {HELP}",
    )

    def __init__(self, *args, insured, existing_files: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.insured = insured
        self.existing_files = existing_files
        self.uploads = []
        # Documents last, whatever the subclass declared.
        self.order_fields([name for name in self.fields if name != "documents"] + ["documents"])
        if "beneficiary" in self.fields:
            self.fields["beneficiary"].queryset = insured.beneficiaries.order_by("birth_date", "pk")

    def _checked(self, name: str, label: str):
        value = self.cleaned_data.get(name)
        files = value if isinstance(value, list) else [value] if value else []
        checked = []
        for uploaded in files:
            try:
                checked.append((label, check_upload(uploaded)))
            except ValidationError as exc:
                self.add_error(name, exc)
        return checked

    def clean(self):
        cleaned = super().clean()
        uploads = []
        for name, label in {**self.FILES, "documents": "Justificatif"}.items():
            uploads += self._checked(name, label)
        self.uploads = uploads
        if not self.errors:
            try:
                check_count(existing=self.existing_files, adding=len(uploads))
            except ValidationError as exc:
                self.add_error("documents", exc)
        return cleaned

    def request_data(self) -> dict:
        skip = {"beneficiary", "documents", IDEMPOTENCY_FIELD, *self.FILES}
        data = {}
        for name, value in self.cleaned_data.items():
            if name in skip:
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            data[name] = value
        return data

    @property
    def beneficiary(self) -> Beneficiary | None:
        return self.cleaned_data.get("beneficiary")


def _beneficiary_field(label="Pour qui ?") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Beneficiary.objects.none(),
        required=False,
        empty_label="Moi-même",
        help_text="Vous-même, ou l'un de vos ayants droit.",
    )


VITALE_REASONS = [
    ("first", "Première carte"),
    ("renewal", "Renouvellement (photo à mettre à jour, changement d'état civil)"),
    ("loss", "Perte"),
    ("theft", "Vol"),
    ("malfunction", "Carte défectueuse"),
]
NEEDS_PHOTO = {"first", "renewal", "loss", "theft"}
NEEDS_ID = {"first", "loss", "theft"}


class VitaleForm(RequestForm):
    kind = Kind.VITALE
    title = "Commander une carte Vitale"
    summary = (
        "Première carte, renouvellement, perte, vol ou carte défectueuse. Une carte perdue ou "
        "volée est mise en opposition dès le dépôt de la demande."
    )
    FILES = {"photo": "Photo d'identité", "id_document": "Pièce d'identité"}

    beneficiary = _beneficiary_field()
    reason = forms.ChoiceField(label="Motif de la demande", choices=VITALE_REASONS, widget=forms.RadioSelect)
    photo = _file(
        "Photo d'identité",
        required=False,
        accept="image/jpeg,image/png,.jpg,.jpeg,.png",
        help_text="Photo récente, de face, tête nue, sur fond clair. JPEG ou PNG, 5 Mo au "
        "plus. Obligatoire sauf pour une carte défectueuse.",
    )
    id_document = _file(
        "Pièce d'identité",
        required=False,
        help_text="Carte d'identité, passeport ou titre de séjour, recto et verso. "
        "Obligatoire pour une première carte, une perte ou un vol. " + HELP,
    )

    def clean(self):
        cleaned = super().clean()
        reason, beneficiary = cleaned.get("reason"), cleaned.get("beneficiary")
        if beneficiary is not None and beneficiary.age_on(timezone.localdate()) < OWN_VITALE_MIN_AGE:
            self.add_error(
                "beneficiary",
                f"Un enfant de moins de {OWN_VITALE_MIN_AGE} ans figure sur la "
                "carte Vitale de ses parents : il n'a pas la sienne.",
            )
        if reason in NEEDS_PHOTO and not cleaned.get("photo") and "photo" not in self.errors:
            self.add_error("photo", "Joignez une photo d'identité pour ce motif.")
        if reason in NEEDS_ID and not cleaned.get("id_document") and "id_document" not in self.errors:
            self.add_error("id_document", "Joignez une pièce d'identité pour ce motif.")
        for label, upload in self.uploads:
            if label == self.FILES["photo"] and upload.content_type == "application/pdf":
                self.add_error("photo", "La photo doit être une image JPEG ou PNG.")
        return cleaned


class PrestationForm(RequestForm):
    kind = Kind.PRESTATION
    title = "Demander une prestation"
    summary = (
        "Une aide financière, par exemple pour un équipement médical (fauteuil, audioprothèse…) : "
        "joignez le devis."
    )
    FILES = {"quote": "Devis"}

    beneficiary = _beneficiary_field()
    equipment = forms.CharField(
        label="Équipement ou prestation demandé",
        max_length=120,
        help_text="Par exemple : fauteuil roulant, prothèse auditive.",
    )
    amount = FrenchAmountField(
        label="Montant du devis (en euros)",
        min_value=Decimal("0.01"),
        max_value=Decimal("99999.99"),
        decimal_places=2,
        help_text="Par exemple : 1 250,00.",
    )
    quote = _file("Devis")
    comment = forms.CharField(
        label="Précisions (facultatif)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


CONTRIBUTIONS = [
    ("csm", "Cotisation subsidiaire maladie (CSM)"),
    ("independant", "Cotisations maladie de travailleur indépendant"),
    ("autre", "Autre cotisation"),
]


class CotisationForm(RequestForm):
    kind = Kind.COTISATION
    title = "Demander un délai de paiement de cotisation"
    summary = "Étaler ou reporter le paiement d'une cotisation que vous devez à la caisse."

    contribution = forms.ChoiceField(label="Cotisation concernée", choices=CONTRIBUTIONS)
    reference = forms.CharField(
        label="Référence de l'appel de cotisation (facultatif)", required=False, max_length=40
    )
    months = forms.TypedChoiceField(
        label="Délai demandé", coerce=int, choices=[(n, f"{n} mois") for n in (1, 2, 3, 6, 9, 12)]
    )
    reason = forms.CharField(
        label="Motif de la demande",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Expliquez en quelques lignes pourquoi vous demandez ce délai.",
    )


class FamilyForm(RequestForm):
    kind = Kind.FAMILY
    title = "Déclarer un changement de situation familiale"
    summary = "Mariage, PACS, séparation, divorce, veuvage… avec un justificatif."
    FILES = {"proof": "Justificatif de situation"}

    situation = forms.ChoiceField(label="Nouvelle situation", choices=FamilySituation.choices)
    since = _date("Depuis le")
    proof = _file("Justificatif", help_text="Acte de mariage, de PACS, jugement, livret de famille… " + HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # « Pacsée », « Pacsé »: the register knows the person's sex.
        self.fields["situation"].choices = [
            (value, family_situation_label(value, self.insured.sex)) for value, _ in FamilySituation.choices
        ]

    def clean_since(self):
        since = self.cleaned_data["since"]
        if since > timezone.localdate():
            raise ValidationError("La date ne peut pas être dans le futur.")
        return since


class RibForm(RequestForm):
    kind = Kind.RIB
    title = "Changer de coordonnées bancaires"
    summary = (
        "Le nouvel IBAN sur lequel recevoir vos remboursements, avec un RIB. Il s'applique quand "
        "la caisse l'a vérifié."
    )
    FILES = {"rib": "RIB"}

    iban = IbanFormField(
        label="Nouvel IBAN",
        help_text="27 caractères pour un compte français, par exemple FR76 3000 4000 0100 0123 4567 830.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    rib = _file("RIB (relevé d'identité bancaire)", help_text="À votre nom. " + HELP)

    def clean_iban(self):
        iban = self.cleaned_data["iban"]
        if iban == self.insured.iban:
            raise ValidationError("C'est déjà l'IBAN enregistré par votre caisse.")
        return iban


DECLARATIONS = [
    ("rattachement", "Rattacher un enfant déjà né"),
    ("naissance", "Déclarer une naissance"),
]
SCHOOL_AGES = (16, 20)


class ChildForm(RequestForm):
    kind = Kind.CHILD
    title = "Rattacher un enfant ou déclarer une naissance"
    summary = (
        "Pour que votre enfant soit couvert comme votre ayant droit ; de 16 à 20 ans, avec un "
        "certificat de scolarité."
    )
    FILES = {
        "birth_proof": "Acte de naissance ou livret de famille",
        "school_certificate": "Certificat de scolarité",
    }

    declaration = forms.ChoiceField(label="Votre démarche", choices=DECLARATIONS, widget=forms.RadioSelect)
    last_name = forms.CharField(label="Nom de l'enfant", max_length=80)
    first_names = forms.CharField(label="Prénoms de l'enfant", max_length=120)
    birth_date = _date("Date de naissance")
    sex = forms.ChoiceField(label="Sexe", choices=Sex.choices, widget=forms.RadioSelect)
    birth_proof = _file("Acte de naissance ou livret de famille")
    school_certificate = _file(
        "Certificat de scolarité",
        required=False,
        help_text="Obligatoire pour un enfant de 16 à 20 ans encore scolarisé. " + HELP,
    )

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if birth_date > today:
            raise ValidationError("La date de naissance ne peut pas être dans le futur.")
        if age_on(birth_date, today) > SCHOOL_AGES[1]:
            raise ValidationError(
                "Un enfant de plus de 20 ans ne peut plus être rattaché : il a ses propres droits."
            )
        return birth_date

    def clean(self):
        cleaned = super().clean()
        birth_date = cleaned.get("birth_date")
        if (
            birth_date
            and age_on(birth_date, timezone.localdate()) >= SCHOOL_AGES[0]
            and not cleaned.get("school_certificate")
            and "school_certificate" not in self.errors
        ):
            self.add_error(
                "school_certificate", "Pour un enfant de 16 ans ou plus, joignez un certificat de scolarité."
            )
        return cleaned


class CeamForm(RequestForm):
    kind = Kind.CEAM
    title = "Demander une carte européenne d'assurance maladie"
    summary = "Pour un séjour dans un pays de l'Union européenne, de l'EEE, en Suisse ou au Royaume-Uni."

    beneficiary = _beneficiary_field()
    departure_on = _date(
        "Date de départ", help_text="Demandez la carte au moins deux semaines avant votre départ."
    )

    def clean_departure_on(self):
        departure_on = self.cleaned_data["departure_on"]
        today = timezone.localdate()
        if departure_on < today:
            raise ValidationError("La date de départ est passée.")
        if departure_on > today + timedelta(days=366):
            raise ValidationError("La date de départ est dans plus d'un an : faites la demande plus tard.")
        return departure_on


FORMS: dict[str, type[RequestForm]] = {
    form.kind: form
    for form in (VitaleForm, RibForm, ChildForm, FamilyForm, CeamForm, PrestationForm, CotisationForm)
}


class ComplementForm(IdempotentForm):
    documents = MultipleFileField(
        label="Documents demandés", help_text=f"Vous pouvez en sélectionner plusieurs. {HELP}"
    )
    message = forms.CharField(
        label="Message pour votre caisse (facultatif)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, existing_files: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_files = existing_files
        self.uploads = []

    def clean_documents(self):
        uploads, errors = [], []
        for uploaded in self.cleaned_data["documents"]:
            try:
                uploads.append(("Complément", check_upload(uploaded)))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        check_count(existing=self.existing_files, adding=len(uploads))
        self.uploads = uploads
        return self.cleaned_data["documents"]


class PublicVitaleForm(TermsFieldsMixin, IdentityForm):
    """Commander une carte Vitale sans compte: identity as at signup, then the card's reason."""

    nir = NirFormField(
        label="Numéro de sécurité sociale",
        help_text="13 chiffres (ou 15 avec la clé), tel qu'il figure sur vos courriers "
        "de l'Assurance Maladie.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = forms.ChoiceField(label="Motif de la demande", choices=VITALE_REASONS, widget=forms.RadioSelect)
    photo = VitaleForm.base_fields["photo"]
    id_document = _file(
        "Pièce d'identité",
        help_text="Carte d'identité, passeport ou titre de séjour, recto et verso. " + HELP,
    )

    def clean(self):
        cleaned = super().clean()
        self.uploads = []
        for name, label in (("photo", "Photo d'identité"), ("id_document", "Pièce d'identité")):
            uploaded = cleaned.get(name)
            if not uploaded:
                continue
            try:
                upload = check_upload(uploaded)
            except ValidationError as exc:
                self.add_error(name, exc)
                continue
            if name == "photo" and upload.content_type == "application/pdf":
                self.add_error("photo", "La photo doit être une image JPEG ou PNG.")
            self.uploads.append((label, upload))
        if cleaned.get("reason") in NEEDS_PHOTO and not cleaned.get("photo") and "photo" not in self.errors:
            self.add_error("photo", "Joignez une photo d'identité pour ce motif.")
        return cleaned


class PublicCodeForm(forms.Form):
    """The code emailed to the holder of a request filed without an account."""

    code = forms.CharField(
        label="Code de confirmation reçu par courriel",
        max_length=12,
        help_text="8 chiffres.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DecisionForm(forms.Form):
    """Staff: the reason (required for a refusal or a complement) and the decision's figures."""

    reason = forms.CharField(
        label="Motif", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    amount = FrenchAmountField(
        label="Montant accordé (€)", required=False, min_value=0, max_digits=10, decimal_places=2
    )
    months = forms.IntegerField(label="Délai accordé (mois)", required=False, min_value=1, max_value=24)


__all__ = [
    "FORMS",
    "MAX_FILES",
    "ComplementForm",
    "DecisionForm",
    "PublicCodeForm",
    "PublicVitaleForm",
    "RequestForm",
]
