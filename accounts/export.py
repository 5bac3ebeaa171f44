"""The register's and the account's part of « Télécharger mes données »."""

from allauth.usersessions.models import UserSession

from .data_export import rows
from .models import (
    Beneficiary,
    Exemption,
    FamilySituationChange,
    HealthCard,
    HealthCardEvent,
    IbanHistory,
    Insured,
    PostalLetter,
    TermsAcceptance,
)


def export(insured: Insured) -> dict:
    user = getattr(insured, "user", None)
    identity = rows(Insured.objects.filter(pk=insured.pk), "caisse", "created_at", "updated_at")[0]
    account = None
    if user is not None:
        account = {
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "terms_version": user.terms_version,
            "terms_accepted_at": user.terms_accepted_at,
            "email_addresses": list(user.emailaddress_set.values("email", "verified", "primary")),
            "sessions": list(
                UserSession.objects.filter(user=user).values("ip", "user_agent", "created_at", "last_seen_at")
            ),
        }
    return {
        "identity": identity,
        "caisse": {"code": insured.caisse.code, "name": insured.caisse.name},
        "account": account,
        "coverage_periods": rows(insured.coverage_periods.all(), "insured"),
        "beneficiaries": rows(Beneficiary.objects.filter(insured=insured), "insured"),
        "exemptions": rows(Exemption.objects.filter(insured=insured), "insured"),
        "health_cards": rows(HealthCard.objects.filter(insured=insured), "insured"),
        "health_card_events": rows(HealthCardEvent.objects.filter(card__insured=insured)),
        "iban_history": rows(IbanHistory.objects.filter(insured=insured), "insured"),
        "family_situation_changes": rows(FamilySituationChange.objects.filter(insured=insured), "insured"),
        "postal_letters": rows(
            PostalLetter.objects.filter(insured=insured), "insured", "pdf", "provisional_code"
        ),
        "terms_acceptances": rows(TermsAcceptance.objects.filter(insured=insured), "insured", "user"),
    }
