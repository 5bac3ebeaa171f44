"""Account creation: proving one's identity against the register."""

import enum
import hmac
import time
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ameli_portal.emails import enqueue_email

from .models import Insured, User
from .security import log_event

SESSION_KEY = "signup_identity"


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
    return bool(on_file) and len(typed) == 7 and hmac.compare_digest(typed, on_file)


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
    if user.insured_id is None or user.last_login is not None:
        return
    enqueue_email(
        template="welcome",
        to=[user.email],
        context={"first_name": user.insured.first_names.split()[0]},
    )
    log_event("account_activated", user_id=user.pk)


def user_unlock(*, user: User) -> None:
    if user.locked_at is None and user.failed_logins == 0:
        return
    User.objects.filter(pk=user.pk).update(locked_at=None, failed_logins=0)
    user.locked_at, user.failed_logins = None, 0
    log_event("account_unlocked", user_id=user.pk)


@transaction.atomic
def login_failed(*, login: str, ip: str | None) -> None:
    """Count a wrong password; lock the account at the limit and tell its owner."""
    user = User.objects.select_for_update().filter(username=login, is_active=True).first()
    log_event("login_failed", login=login, ip=ip, known=user is not None)
    if user is None or user.locked_at is not None:
        return
    user.failed_logins += 1
    fields = ["failed_logins"]
    if user.failed_logins >= settings.ACCOUNT_MAX_FAILED_LOGINS:
        user.locked_at = timezone.now()
        fields.append("locked_at")
        enqueue_email(template="account-locked", to=[user.email], context={
            "first_name": user.first_name,
        })
        log_event("account_locked", user_id=user.pk)
    user.save(update_fields=fields)


def login_succeeded(*, user: User) -> None:
    if user.failed_logins:
        User.objects.filter(pk=user.pk).update(failed_logins=0)
    log_event("login_succeeded", user_id=user.pk)


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
    enqueue_email(template="contact-changed", to=[user.email], context={
        "first_name": insured.first_names.split()[0],
        "address_changed": any(f != "phone" for f in changed),
        "phone_changed": "phone" in changed,
    })
    log_event("contact_changed", user_id=user.pk, fields=",".join(changed))
    return changed
