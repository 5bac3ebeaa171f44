"""Terms of use and privacy notice: the two boxes, what was accepted, and when."""

from django import forms
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .models import Insured, TermsAcceptance, User

TERMS_REQUIRED = (
    "Acceptez les conditions d'utilisation pour continuer : sans elles, nous ne "
    "pouvons pas traiter votre demande."
)
PRIVACY_REQUIRED = (
    "Cochez la case de protection de la vie privée pour continuer : elle confirme "
    "que vous avez pris connaissance de l'usage de vos données."
)
NEW_TAB = '<span class="visually-hidden"> (s\'ouvre dans un nouvel onglet)</span>'


def terms_fields() -> dict[str, forms.Field]:
    """The two required boxes, with labels linking to the public pages (read in a new tab, so
    that nothing typed is lost)."""
    terms_label = format_html(
        'J\'accepte les <a href="{}" target="_blank" rel="noopener">conditions d\'utilisation</a>' + NEW_TAB,
        reverse("public:terms"),
    )
    privacy_label = format_html(
        'J\'ai pris connaissance de la <a href="{}" target="_blank" rel="noopener">notice de '
        "protection des données personnelles</a>"
        + NEW_TAB
        + " : comment la caisse utilise mes données et comment exercer mes droits.",
        reverse("public:privacy"),
    )
    return {
        "accept_terms": forms.BooleanField(
            label=terms_label, required=True, label_suffix="", error_messages={"required": TERMS_REQUIRED}
        ),
        "accept_privacy": forms.BooleanField(
            label=privacy_label, required=True, label_suffix="", error_messages={"required": PRIVACY_REQUIRED}
        ),
    }


class TermsFieldsMixin:
    """Adds the two boxes at the end of a form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(terms_fields())


class AcceptNewTermsForm(TermsFieldsMixin, forms.Form):
    pass


def user_needs_new_terms(user) -> bool:
    """An insured person's account whose accepted version is not the one in force (no query:
    the version is on the user row the session already loaded)."""
    return bool(user.is_authenticated and user.insured_id and user.terms_version != settings.TERMS_VERSION)


@transaction.atomic
def terms_accept(
    *, insured: Insured, context: str, user: User | None = None, reference: str = ""
) -> TermsAcceptance:
    """Record that ``insured`` (through ``user`` when there is an account) accepted the terms in
    force and read the privacy notice."""
    now = timezone.now()
    acceptance = TermsAcceptance.objects.create(
        user=user,
        insured=insured,
        version=settings.TERMS_VERSION,
        terms_accepted=True,
        privacy_acknowledged=True,
        context=context,
        reference=reference,
        accepted_at=now,
    )
    if user is not None:
        User.objects.filter(pk=user.pk).update(terms_version=settings.TERMS_VERSION, terms_accepted_at=now)
        user.terms_version, user.terms_accepted_at = settings.TERMS_VERSION, now
    return acceptance
