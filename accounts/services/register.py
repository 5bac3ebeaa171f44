"""The register's changes: contact details, IBAN, identity, beneficiaries, family situation."""

from datetime import date
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from ameli_portal.audit import audit, value_changes
from ameli_portal.domain import DomainError
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name

from ..events import identity_changed
from ..fields import clean_iban
from ..models import (
    Beneficiary,
    FamilySituation,
    FamilySituationChange,
    IbanHistory,
    Insured,
    Sex,
    User,
)
from ..security import log_event
from .identity import plain_name


class RegisterRefused(DomainError):
    """A change of the register refused (bad IBAN, unknown family situation...); French."""


CONTACT_FIELDS = ("phone", "address_line1", "address_line2", "postal_code", "city")


@transaction.atomic
def insured_update_contact(*, insured: Insured, user: User, **values) -> list[str]:
    """The insured person changes their phone or postal address; they are told by email."""
    changed = [f for f in CONTACT_FIELDS if getattr(insured, f) != values[f]]
    if not changed:
        return []
    for field in changed:
        setattr(insured, field, values[field])
    insured.save(update_fields=[*changed, "updated_at"])
    enqueue_email(
        template="contact-changed",
        to=[user.email],
        context={
            "first_name": first_name(insured.first_names),
            "address_changed": any(f != "phone" for f in changed),
            "phone_changed": "phone" in changed,
        },
    )
    log_event("contact_changed", user_id=user.pk, fields=",".join(changed))
    return changed


# --- changes to the register (démarches accepted by the caisse, or made by staff) ------


def _audit_if(actor, action: str, obj, summary: str = "") -> None:
    """Staff actions go to the audit trail (the insured person's own are logged as events)."""
    if actor is not None and getattr(actor, "pk", None) and actor.is_staff:
        audit(actor=actor, action=action, obj=obj, summary=summary)


def _addresses_of_record(insured: Insured) -> list[str]:
    """The web account's address and the register's, each once (case does not matter)."""
    user = getattr(insured, "user", None)
    seen, addresses = set(), []
    for address in (user.email if user is not None else "", insured.email):
        if address and address.casefold() not in seen:
            seen.add(address.casefold())
            addresses.append(address)
    return addresses


def insured_change_iban(*, insured: Insured, iban: str, actor=None) -> None:
    """Pay to a new IBAN from today; the old one goes to the history.

    Both addresses of record are told (a stolen account cannot divert payments silently);
    the email shows only the last four characters. Raises RegisterRefused on a bad IBAN.
    """
    try:
        compact = clean_iban(iban)
    except ValidationError as exc:
        raise RegisterRefused(exc.messages[0]) from None
    with transaction.atomic():
        locked = Insured.objects.select_for_update().get(pk=insured.pk)
        if locked.iban == compact:
            return
        today = timezone.localdate()
        if locked.iban:
            last = locked.iban_history.order_by("-valid_until", "-pk").first()
            start = last.valid_until if last else locked.created_at.date()
            IbanHistory.objects.create(
                insured=locked,
                iban=locked.iban,
                valid_from=min(start, today),
                valid_until=today,
                changed_by=actor if getattr(actor, "pk", None) else None,
            )
        locked.iban = compact
        locked.save(update_fields=["iban", "updated_at"])
        _audit_if(actor, "iban_change", locked, f"nouvel IBAN se terminant par {compact[-4:]}")
        log_event("iban_changed", insured_id=locked.pk)
        to = _addresses_of_record(locked)
        if to:
            enqueue_email(
                template="iban-changed",
                to=to,
                context={
                    "first_name": first_name(locked.first_names),
                    "iban_end": compact[-4:],
                    "changed_on": today.strftime("%d/%m/%Y"),
                },
            )
    insured.iban = compact


IDENTITY_FIELDS = ("nir", "last_name", "birth_name", "first_names", "birth_date", "sex")


class IdentityChangeRefused(DomainError):
    """The identity change is not allowed (no right, no reason, nothing to change)."""


def _shown(field: str, value, insured: Insured) -> str:
    if value in (None, ""):
        return "(vide)"
    if field == "nir":
        return Insured(nir=value).nir_masked
    if field == "birth_date":
        return value.strftime("%d/%m/%Y")
    if field == "sex":
        return Sex(value).label
    return str(value)


def insured_change_identity(*, insured: Insured, changes: dict, reason: str, actor: User) -> Insured:
    """Change the register's identity of a person: a superviseur's act, with its reason.

    ``changes`` maps fields of ``IDENTITY_FIELDS`` to their new value. Audited with old and
    new values; the person is told by email (field names only, never the NIR) and by a
    notice in their messagerie (the detail, the NIR masked, and the reason).
    """
    reason = (reason or "").strip()
    if not actor.has_perm("accounts.change_identity"):
        raise IdentityChangeRefused("Seul un superviseur peut modifier l'identité d'un assuré.")
    if not reason:
        raise IdentityChangeRefused("Indiquez le motif de la modification d'identité.")
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise IdentityChangeRefused(f"Champs hors identité : {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Insured.objects.select_for_update().get(pk=insured.pk)
        old = {field: getattr(locked, field) for field in changes}
        changed = {field: value for field, value in changes.items() if old[field] != value}
        if not changed:
            return locked
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.full_clean(exclude=[f.name for f in Insured._meta.fields if f.name not in changed])
        locked.save(update_fields=[*changed, "updated_at"])
        audit(
            actor=actor,
            action="identity_change",
            obj=locked,
            summary=f"motif : {reason}",
            changes=value_changes({f: old[f] for f in changed}, changed),
        )
        log_event("identity_changed", insured_id=locked.pk)
        labels = [
            str(cast("Field[Any, Any]", Insured._meta.get_field(field)).verbose_name) for field in changed
        ]
        lines = [
            f"{label} : {_shown(field, old[field], locked)} → {_shown(field, value, locked)}"
            for label, (field, value) in zip(labels, changed.items(), strict=True)
        ]
        identity_changed.send(sender=Insured, insured=locked, labels=labels, lines=lines, reason=reason)
        to = _addresses_of_record(locked)
        if to:
            enqueue_email(
                template="identity-changed",
                to=to,
                context={
                    "first_name": first_name(locked.first_names),
                    "fields": ", ".join(labels),
                    "changed_on": timezone.localdate().strftime("%d/%m/%Y"),
                    "has_account": hasattr(locked, "user"),
                },
            )
    for field in changed:
        setattr(insured, field, getattr(locked, field))
    return locked


def beneficiary_attach(
    *,
    insured: Insured,
    last_name: str,
    first_names: str,
    birth_date: date,
    sex: str,
    relationship: str = Beneficiary.Relationship.CHILD,
    actor=None,
) -> Beneficiary:
    """Attach a child or dependant (ayant droit) to an insured person.

    The same person (first names and birth date) attached twice is returned, not duplicated.
    """
    if sex not in Sex.values:
        raise RegisterRefused("Le sexe de l'ayant droit est inconnu.")
    if relationship not in Beneficiary.Relationship.values:
        raise RegisterRefused("Le lien avec l'assuré est inconnu.")
    if birth_date > timezone.localdate():
        raise RegisterRefused("La date de naissance ne peut pas être dans le futur.")
    last_name, first_names = last_name.strip(), " ".join(first_names.split())
    if not last_name or not first_names:
        raise RegisterRefused("Le nom et les prénoms de l'ayant droit sont obligatoires.")
    with transaction.atomic():
        Insured.objects.select_for_update().get(pk=insured.pk)
        for existing in insured.beneficiaries.filter(birth_date=birth_date):
            if plain_name(existing.first_names) == plain_name(first_names):
                return existing
        beneficiary = Beneficiary.objects.create(
            insured=insured,
            last_name=last_name,
            first_names=first_names,
            birth_date=birth_date,
            sex=sex,
            relationship=relationship,
        )
        _audit_if(actor, "beneficiary_attach", beneficiary, beneficiary.get_relationship_display())
    return beneficiary


def insured_change_family_situation(*, insured: Insured, situation: str, since: date, actor=None) -> None:
    """Record a new family situation (marriage, PACS, separation...) and keep its history."""
    if situation not in FamilySituation.values:
        raise RegisterRefused("Situation familiale inconnue.")
    if since > timezone.localdate():
        raise RegisterRefused("La date de la situation familiale ne peut pas être dans le futur.")
    with transaction.atomic():
        locked = Insured.objects.select_for_update().get(pk=insured.pk)
        FamilySituationChange.objects.create(
            insured=locked,
            situation=situation,
            since=since,
            changed_by=actor if getattr(actor, "pk", None) else None,
        )
        locked.family_situation, locked.family_situation_since = situation, since
        locked.save(update_fields=["family_situation", "family_situation_since", "updated_at"])
        _audit_if(actor, "family_situation_change", locked, FamilySituation(situation).label)
    insured.family_situation, insured.family_situation_since = situation, since
