"""The insured person's forms: a new message, and a reply."""

from django import forms
from django.utils import timezone

from accounts.fields import NirFormField
from accounts.forms import DATE_HELP
from ameli_portal.idempotency import IdempotentForm

from .models import BODY_MAX, SUBJECT_MAX, ContactRequest, Thread

BODY_HELP = (
    f"{BODY_MAX} caractères au plus. N'indiquez pas votre numéro de sécurité sociale : "
    "nous savons qui vous êtes."
)


def _body_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=BODY_MAX,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": BODY_MAX}),
        error_messages={
            "required": "Écrivez votre message.",
            "max_length": f"Votre message est trop long : {BODY_MAX} caractères au plus "
            "(il en compte %(show_value)d).",
        },
    )


class NewThreadForm(IdempotentForm):
    topic = forms.ChoiceField(
        label="Thème",
        choices=[("", "Choisissez un thème"), *Thread.Topic.choices],
        error_messages={
            "required": "Choisissez le thème de votre message.",
            "invalid_choice": "Choisissez un thème dans la liste.",
        },
    )
    subject = forms.CharField(
        label="Objet",
        max_length=SUBJECT_MAX,
        help_text=f"{SUBJECT_MAX} caractères au plus.",
        error_messages={
            "required": "Indiquez l'objet de votre message.",
            "max_length": f"L'objet est trop long : {SUBJECT_MAX} caractères au plus "
            "(il en compte %(show_value)d).",
        },
    )
    body = _body_field("Votre message")


class ReplyForm(IdempotentForm):
    body = _body_field("Votre réponse")


class NoEchoInput(forms.TextInput):
    """A NIR typed is never written back into the page (nor its cache, nor a screenshot)."""

    def format_value(self, value):
        return None


class ContactRequestForm(forms.Form):
    """The public contact form; identity is optional, the reply address is not."""

    last_name = forms.CharField(
        label="Nom",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    first_names = forms.CharField(
        label="Prénom",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    birth_date = forms.DateField(
        label="Date de naissance",
        required=False,
        help_text=DATE_HELP,
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Saisissez une date valide au format JJ/MM/AAAA, par exemple 31/01/1985."},
        widget=forms.TextInput(attrs={"autocomplete": "bday", "inputmode": "numeric"}),
    )
    postal_code = forms.RegexField(
        label="Code postal",
        regex=r"^\s*[0-9]{5}\s*$",
        required=False,
        error_messages={"invalid": "Le code postal comporte 5 chiffres."},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    nir = NirFormField(
        label="Numéro de sécurité sociale",
        required=False,
        help_text="Facultatif. 13 chiffres (ou 15 avec la clé), tel qu'il figure sur votre carte "
        "Vitale. Pour votre sécurité, il n'est jamais réaffiché sur cette page.",
        widget=NoEchoInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    subject = forms.ChoiceField(
        label="Objet de votre demande",
        choices=[("", "Choisissez l'objet de votre demande"), *ContactRequest.Subject.choices],
        error_messages={
            "required": "Choisissez l'objet de votre demande.",
            "invalid_choice": "Choisissez un objet dans la liste.",
        },
    )
    body = forms.CharField(
        label="Votre message",
        max_length=BODY_MAX,
        help_text=f"{BODY_MAX} caractères au plus. N'y indiquez aucune information médicale : "
        "ce formulaire n'est pas une messagerie sécurisée.",
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": BODY_MAX}),
        error_messages={
            "required": "Écrivez votre message.",
            "max_length": f"Votre message est trop long : {BODY_MAX} caractères au plus "
            "(il en compte %(show_value)d).",
        },
    )
    reply_email = forms.EmailField(
        label="Votre adresse électronique",
        max_length=254,
        help_text="Nous vous répondons à cette adresse. Par exemple : nom@exemple.fr",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Indiquez l'adresse électronique à laquelle vous répondre.",
            "invalid": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
        },
    )

    def clean_birth_date(self):
        born = self.cleaned_data.get("birth_date")
        if born and born > timezone.localdate():
            raise forms.ValidationError("La date de naissance ne peut pas être dans le futur.")
        return born
