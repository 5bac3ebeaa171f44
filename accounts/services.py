"""Account creation: proving one's identity against the register."""

import enum
import hmac
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from ameli_portal.audit import audit, value_changes
from ameli_portal.domain import DomainError
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name

from .cards import (  # noqa: F401 - the card services are part of this module's API
    CardRefused,
    ceam_order,
    health_card_deliver,
    health_cards_expire,
    vitale_card_oppose,
    vitale_card_order,
)
from .events import identity_changed
from .fields import clean_iban
from .lockout import failure_record, failures_clear
from .models import (
    Beneficiary,
    FamilySituation,
    FamilySituationChange,
    IbanHistory,
    Insured,
    Sex,
    User,
)
from .security import log_event

SESSION_KEY = "signup_identity"


class RegisterRefused(DomainError):
    """A change of the register refused (bad IBAN, unknown family situation...); French."""


class IdentityStatus(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NO_RIGHTS = "no_rights"
    HAS_ACCOUNT = "has_account"


@dataclass(frozen=True)
class IdentityResult:
    status: IdentityStatus
    insured: Insured | None = None


def plain_name(value: str) -> str:
    """Case, accents, hyphens, apostrophes and spaces do not matter in a name."""
    decomposed = unicodedata.normalize("NFKD", value)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in letters.casefold() if c.isalnum())


def identity_verify(*, nir: str, last_name: str, birth_date: date, postal_code: str) -> IdentityResult:
    """Match what a person typed against the register.

    Any difference gives MISMATCH, whichever field was wrong and whether the NIR
    exists; only a person who proved all four learns about their account or rights.
    """
    insured = Insured.objects.filter(nir=nir).select_related("user").first()
    if insured is None:
        return IdentityResult(IdentityStatus.MISMATCH)
    names = {plain_name(insured.last_name), plain_name(insured.birth_name)} - {""}
    if not (
        plain_name(last_name) in names
        and insured.birth_date == birth_date
        and insured.postal_code == postal_code.strip()
    ):
        return IdentityResult(IdentityStatus.MISMATCH)
    if User.objects.filter(insured=insured).exists():
        return IdentityResult(IdentityStatus.HAS_ACCOUNT, insured)
    if not insured.rights_open_on(timezone.localdate()):
        return IdentityResult(IdentityStatus.NO_RIGHTS, insured)
    return IdentityResult(IdentityStatus.MATCH, insured)


def iban_matches(*, insured: Insured, last_seven: str) -> bool:
    typed = "".join(last_seven.split()).upper()
    on_file = insured.iban[-7:] if insured.iban else ""
    # Bytes: compare_digest refuses a str with non-ASCII characters (anyone can type "É").
    return bool(on_file) and len(typed) == 7 and hmac.compare_digest(typed.encode(), on_file.encode())


# --- what the session remembers between the steps --------------------------------


def identity_remember(request, *, insured: Insured, proven_by: str | None = None) -> None:
    request.session[SESSION_KEY] = {
        "insured": insured.pk,
        "at": int(time.time()),
        "proven_by": proven_by,
    }


def identity_pending(request) -> Insured | None:
    """The insured person whose identity was checked, proven or not, if still fresh."""
    data = request.session.get(SESSION_KEY)
    if not data or time.time() - data["at"] > settings.SIGNUP_IDENTITY_MAX_AGE:
        return None
    return Insured.objects.filter(pk=data["insured"], user__isnull=True).first()


def identity_proven(request) -> tuple[Insured, str] | None:
    """The insured person who proved their identity (IBAN or code), if still fresh."""
    data = request.session.get(SESSION_KEY)
    insured = identity_pending(request)
    if insured is None or not data.get("proven_by"):
        return None
    return insured, data["proven_by"]


def identity_forget(request) -> None:
    request.session.pop(SESSION_KEY, None)


@transaction.atomic
def account_activated(*, user: User) -> None:
    """The email is confirmed: the account is usable; say welcome (once)."""
    if user.last_login is not None or user.insured is None:
        return
    enqueue_email(
        template="welcome",
        to=[user.email],
        context={"first_name": first_name(user.insured.first_names)},
    )
    log_event("account_activated", user_id=user.pk)


def user_unlock(*, user: User) -> None:
    failures_clear(user.username)
    if user.locked_at is None and user.failed_logins == 0:
        return
    User.objects.filter(pk=user.pk).update(locked_at=None, failed_logins=0)
    user.locked_at, user.failed_logins = None, 0
    log_event("account_unlocked", user_id=user.pk)


@transaction.atomic
def login_failed(*, login: str, ip: str | None) -> None:
    """Count a wrong password; lock the account at the limit and tell its owner.

    The identifier's own count (accounts/lockout.py) goes up whether or not an account
    has it: it decides the page's message, the same for every identifier."""
    failure_record(login)
    user = User.objects.select_for_update().filter(username=login, is_active=True).first()
    log_event("login_failed", login=login, ip=ip, known=user is not None)
    if user is None or user.locked_at is not None:
        return
    user.failed_logins += 1
    fields = ["failed_logins"]
    if user.failed_logins >= settings.ACCOUNT_MAX_FAILED_LOGINS:
        user.locked_at = timezone.now()
        fields.append("locked_at")
        if not user.is_staff:
            # Staff are unlocked by a superviseur or an administrator (the back office's
            # sign-in page says so); the insured mail points to the NIR reset page.
            enqueue_email(
                template="account-locked",
                to=[user.email],
                context={
                    "first_name": user.first_name,
                },
            )
        log_event("account_locked", user_id=user.pk)
    user.save(update_fields=fields)


def login_succeeded(*, user: User) -> None:
    failures_clear(user.username)
    if user.failed_logins:
        User.objects.filter(pk=user.pk).update(failed_logins=0)
    log_event("login_succeeded", user_id=user.pk)


def staff_address_confirm(*, user: User) -> None:
    """The address on a staff account's record counts as verified.

    Staff never sign themselves up: the caisse gives their address (``createsuperuser``, the
    back office, the demo). allauth refuses to set up an authenticator app while an address
    of the account is unverified (its guard against a stranger's sign-up squatting someone's
    address), which left a new agent facing an email step of the insured sign-up before the
    app the back office requires. Called at each back-office sign-in: a no-op once done.
    """
    from allauth.account.models import EmailAddress

    if not (user.is_staff and user.insured_id is None and user.email):
        return
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is not None and address.verified:
        return
    with transaction.atomic():
        has_primary = (
            EmailAddress.objects.filter(user=user, primary=True)
            .exclude(pk=getattr(address, "pk", None))
            .exists()
        )
        if address is None:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=not has_primary)
        else:
            address.verified = True
            address.primary = address.primary or not has_primary
            address.save(update_fields=["verified", "primary"])
    log_event("staff_address_confirmed", user_id=user.pk)


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
