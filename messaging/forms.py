"""The insured person's forms: a new message, and a reply."""

from django import forms

from ameli_portal.idempotency import IdempotentForm

from .models import BODY_MAX, SUBJECT_MAX, Thread

BODY_HELP = (f"{BODY_MAX} caractères au plus. N'indiquez pas votre numéro de sécurité sociale : "
             "nous savons qui vous êtes.")


def _body_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=BODY_MAX, help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": BODY_MAX}),
        error_messages={
            "required": "Écrivez votre message.",
            "max_length": f"Votre message est trop long : {BODY_MAX} caractères au plus "
                          "(il en compte %(show_value)d).",
        },
    )


class NewThreadForm(IdempotentForm):
    topic = forms.ChoiceField(
        label="Thème", choices=[("", "Choisissez un thème"), *Thread.Topic.choices],
        error_messages={"required": "Choisissez le thème de votre message.",
                        "invalid_choice": "Choisissez un thème dans la liste."},
    )
    subject = forms.CharField(
        label="Objet", max_length=SUBJECT_MAX, help_text=f"{SUBJECT_MAX} caractères au plus.",
        error_messages={
            "required": "Indiquez l'objet de votre message.",
            "max_length": f"L'objet est trop long : {SUBJECT_MAX} caractères au plus "
                          "(il en compte %(show_value)d).",
        },
    )
    body = _body_field("Votre message")


class ReplyForm(IdempotentForm):
    body = _body_field("Votre réponse")
