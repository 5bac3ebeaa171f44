"""Account creation: proving one's identity against the register."""

import enum
import hmac
import time
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from ..models import Insured, User

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
