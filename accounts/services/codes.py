"""Provisional codes: the 8 digits mailed by post to open an account.

How the clear code travels: it doesn't. ``provisional_code_issue`` creates the
code row with an unusable hash and the letter, then enqueues the letter job
with the letter's id only. The job draws the digits, stores their hash and
renders the PDF in one transaction (:func:`provisional_code_draw`, called by
``accounts.services.letters.letter_render``). So the clear code never sits in the
outbox table, in the broker's message, in a task log or in a result backend:
it exists only in the worker's memory and in the letter itself, which is kept
in private storage. A failed render rolls the hash back with it, and the retry
draws new digits; no code can be valid unless its letter exists. Until the job
has run, the insured has no usable code, and verifying answers ``NONE``.
"""

import enum
import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.db import transaction
from django.utils import timezone

from ameli_portal.audit import audit
from ameli_portal.outbox import enqueue

from ..models import Insured, PostalLetter, ProvisionalCode

security_log = logging.getLogger("accounts.security")

# The job that renders a code letter (accounts/tasks.py), enqueued by name: tasks import
# the services, never the other way round.
RENDER_CODE_LETTER_JOB = "accounts.render_code_letter"

CODE_DIGITS = 8
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")


class ProvisionalCodeResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # counted as a failed attempt
    EXPIRED = "expired"
    BLOCKED = "blocked"  # too many failed attempts: a new code must be issued
    NONE = "none"  # no live code, or its letter is not rendered yet
    FORMAT = "format"  # not 8 digits: a typo, not counted as an attempt


def validity_days() -> int:
    return getattr(settings, "PROVISIONAL_CODE_VALIDITY_DAYS", 30)


def max_attempts() -> int:
    return getattr(settings, "PROVISIONAL_CODE_MAX_ATTEMPTS", 5)


def format_code(code: str) -> str:
    """How a code is printed and read aloud: two groups of four digits."""
    return f"{code[:4]} {code[4:]}"


def normalize_code(raw: str) -> str | None:
    """The 8 digits typed, without spaces or dashes; ``None`` when it is not 8 digits."""
    code = _SEPARATORS.sub("", raw or "")
    if len(code) == CODE_DIGITS and code.isascii() and code.isdigit():
        return code
    return None


def _live_codes(insured: Insured):
    return ProvisionalCode.objects.filter(insured=insured, used_at__isnull=True, voided_at__isnull=True)


def provisional_code_issue(
    *, insured: Insured, actor=None, kind: str = PostalLetter.Kind.PROVISIONAL_CODE
) -> PostalLetter:
    """Void the insured's live code and prepare a letter carrying a new one.

    The digits are drawn later, by the letter job (see the module docstring).
    ``actor`` is the staff member who asked for it, or ``None`` when the insured
    asked from the portal (or the portal sent it by itself, ``kind=WELCOME``).
    """
    now = timezone.now()
    with transaction.atomic():
        # Lock the insured row so that two simultaneous requests queue up here
        # instead of one failing on the one-live-code constraint.
        Insured.objects.select_for_update().filter(pk=insured.pk).first()
        superseded = list(_live_codes(insured).values_list("pk", flat=True))
        if superseded:
            ProvisionalCode.objects.filter(pk__in=superseded).update(voided_at=now)
            # A letter not posted yet would carry a dead code: keep it out of the print run.
            PostalLetter.objects.filter(
                provisional_code__in=superseded,
                status__in=[PostalLetter.Status.PREPARING, PostalLetter.Status.TO_PRINT],
            ).update(status=PostalLetter.Status.CANCELLED)
        code = ProvisionalCode.objects.create(
            insured=insured,
            code_hash=make_password(None),  # unusable until the letter job draws the digits
            expires_at=now + timedelta(days=validity_days()),
        )
        letter = PostalLetter.objects.create(
            insured=insured,
            kind=kind,
            status=PostalLetter.Status.PREPARING,
            provisional_code=code,
        )
        audit(
            actor=actor,
            action="code_issued",
            obj=insured,
            summary=f"courrier {letter.public_id} ({letter.get_kind_display()})"
            + (" (remplace le précédent)" if superseded else ""),
        )
        enqueue(RENDER_CODE_LETTER_JOB, letter_id=letter.pk)
    security_log.info("provisional_code_issued insured=%s voided=%d", insured.pk, len(superseded))
    return letter


def provisional_code_withdraw(*, letter: PostalLetter, actor, reason: str) -> bool:
    """Cancel the code a letter carries (staff revoked the letter: lost, sent to an old
    address...); return whether it could still have opened an account.

    A letter not posted yet is kept out of the print run. A code already used stays as it is:
    the account it opened is not touched.
    """
    with transaction.atomic():
        voided = ProvisionalCode.objects.filter(
            pk=letter.provisional_code_id,  # type: ignore[misc]  # no code: nothing to void
            used_at__isnull=True,
            voided_at__isnull=True,
        ).update(voided_at=timezone.now())
        PostalLetter.objects.filter(
            pk=letter.pk,
            status__in=[PostalLetter.Status.PREPARING, PostalLetter.Status.TO_PRINT],
        ).update(status=PostalLetter.Status.CANCELLED)
        if voided:
            audit(
                actor=actor,
                action="code_withdrawn",
                obj=letter.insured,
                summary=f"courrier {letter.public_id} : {reason}",
            )
    if voided:
        security_log.info("provisional_code_withdrawn insured=%s", letter.insured_id)
    return bool(voided)


def code_draw() -> tuple[str, str]:
    """Fresh digits and their hash: only the hash is stored, the digits go out once."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return code, make_password(code)


def code_check(live, typed: str, *, event: str, owner: str) -> ProvisionalCodeResult:
    """Check normalised digits against a code row locked by the caller (or ``None``).

    The row has ``code_hash``, ``expires_at`` and ``failed_attempts``; a wrong code is
    counted on it. Shared by every code we issue (letters, emails), so that they expire,
    block and log alike. ``event`` and ``owner`` name the log lines, never a NIR.
    """
    if live is None or not is_password_usable(live.code_hash):
        result = ProvisionalCodeResult.NONE
    elif live.expires_at <= timezone.now():
        result = ProvisionalCodeResult.EXPIRED
    elif live.failed_attempts >= max_attempts():
        result = ProvisionalCodeResult.BLOCKED
    elif check_password(typed, live.code_hash):
        return ProvisionalCodeResult.OK
    else:
        live.failed_attempts += 1
        live.save(update_fields=["failed_attempts"])
        security_log.warning("%s_wrong %s attempts=%d", event, owner, live.failed_attempts)
        if live.failed_attempts >= max_attempts():
            security_log.warning("%s_blocked %s", event, owner)
            return ProvisionalCodeResult.BLOCKED
        return ProvisionalCodeResult.WRONG
    # Hash anyway, so that the answer's timing does not tell whether a code exists.
    make_password(typed)
    security_log.info("%s_refused %s reason=%s", event, owner, result.value)
    return result


def provisional_code_draw(*, provisional_code: ProvisionalCode) -> str:
    """Draw the 8 digits, keep only their hash, and return them for the letter.

    Only the letter job calls this, inside the transaction that saves the PDF.
    """
    code, provisional_code.code_hash = code_draw()
    provisional_code.save(update_fields=["code_hash"])
    return code


def provisional_code_verify(*, insured: Insured | None, code: str) -> ProvisionalCodeResult:
    """Check ``code`` against the insured's live code without spending it.

    ``insured`` is ``None`` when the NIR typed opens no account (not in the register, or
    an account already exists): the answer is then ``NONE``, as for a person without a
    live code. Whoever is asked about, every answer but ``FORMAT`` costs exactly one hash
    of the typed code (against the live code, or a throwaway one), so that the timing
    does not tell who is in the register; ``FORMAT`` is decided before anyone is looked at.

    A wrong code is counted in its own transaction: call this outside any
    ``atomic`` block that may roll back, or the count is lost with it.
    """
    typed = normalize_code(code)
    if typed is None:
        return ProvisionalCodeResult.FORMAT
    if insured is None:
        make_password(typed)  # the work of the check below, on nobody's code
        return ProvisionalCodeResult.NONE
    with transaction.atomic():
        live = _live_codes(insured).select_for_update().first()
        return code_check(live, typed, event="provisional_code", owner=f"insured={insured.pk}")


def provisional_code_spend(*, insured: Insured) -> None:
    """Mark the live code used, when the account it opened is created.

    Raises ``ProvisionalCode.DoesNotExist`` when there is none (spent meanwhile
    by a concurrent request), so that the caller's transaction rolls back.
    """
    spent = _live_codes(insured).update(used_at=timezone.now())
    if not spent:
        raise ProvisionalCode.DoesNotExist("aucun code provisoire en cours pour cet assuré")
    security_log.info("provisional_code_spent insured=%s", insured.pk)
