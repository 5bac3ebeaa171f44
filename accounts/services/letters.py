"""The caisse's mailroom: letters rendered as PDF, printed in batches, posted by staff."""

import io
import logging
import zipfile
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ameli_portal.audit import audit
from ameli_portal.formats import french_date
from ameli_portal.mailbox import post_demo_letter
from ameli_portal.pdf import render_pdf
from ameli_portal.site import site_url

from ..models import PostalLetter, Sex
from . import codes

logger = logging.getLogger(__name__)

CODE_LETTER_TEMPLATE = "accounts/letters/provisional_code.html"

# The documents pipeline (attestations) registers here the function that gives a letter its
# verification code and QR code: accounts does not import attestations. It is called as
# ``issuer(letter=letter)`` inside the rendering transaction and returns the context the
# template prints ("verification_code", "verify_page", "qr"), never the provisional code.
_letter_issuer: Callable[..., dict] | None = None


def register_letter_issuer(issuer: Callable[..., dict] | None) -> None:
    global _letter_issuer
    _letter_issuer = issuer


def letter_filename(letter: PostalLetter) -> str:
    return f"courrier-{letter.public_id}.pdf"


def _code_letter_context(letter: PostalLetter, code: str) -> dict:
    insured = letter.insured
    caisse = insured.caisse
    branding = settings.BRANDING
    provisional = letter.provisional_code
    assert provisional is not None  # a code letter carries the code it is rendered for
    return {
        "letter": letter,
        # Sent unasked because rights opened: the letter says why it comes.
        "welcome": letter.kind == PostalLetter.Kind.WELCOME,
        "caisse": {
            "name": caisse.name,
            "address_lines": [line.strip() for line in caisse.address.splitlines() if line.strip()],
            "phone": caisse.phone,
            "phone_note": branding.get("phone_note", ""),
            "hours": caisse.hours or branding.get("hours", ""),
        },
        # The address on file, never one typed in a form: that is what makes the code proof.
        "recipient_lines": insured.postal_address,
        "salutation": "Madame" if insured.sex == Sex.FEMALE else "Monsieur",
        "today": french_date(timezone.localdate()),
        "code": codes.format_code(code),
        "expires_on": french_date(timezone.localtime(provisional.expires_at).date()),
        "max_attempts": codes.max_attempts(),
        "portal_name": branding["portal_name"],
        "site_url": site_url(),
        # Never 8 digits in a row: only the code may look like a code on the letter.
        "reference": f"{letter.public_id.hex[:4]}-{letter.public_id.hex[4:8]}".upper(),
    }


def letter_render(*, letter_id: int) -> None:
    """Draw the code, render the letter and file it for printing; once only.

    Everything happens in one transaction: if anything fails, neither the code's
    hash nor the status is kept, and the retry starts afresh with new digits.
    """
    with transaction.atomic():
        letter = (
            PostalLetter.objects.select_for_update(of=("self",))
            .select_related("insured__caisse", "provisional_code")
            .filter(pk=letter_id)
            .first()
        )
        if letter is None or letter.status != PostalLetter.Status.PREPARING:
            return  # already rendered (a retry or a redelivery), or superseded
        provisional_code = letter.provisional_code
        if provisional_code is None or provisional_code.voided_at or provisional_code.used_at:
            letter.status = PostalLetter.Status.CANCELLED
            letter.save(update_fields=["status"])
            logger.warning("letter %s: its code is no longer live, not rendered", letter.public_id)
            return
        code = codes.provisional_code_draw(provisional_code=provisional_code)
        context = _code_letter_context(letter, code)
        if _letter_issuer is not None:
            context["verification"] = _letter_issuer(letter=letter)
        pdf = render_pdf(CODE_LETTER_TEMPLATE, context)

        field = letter.pdf.field
        name = letter_filename(letter)
        # A file left by an attempt whose transaction rolled back is stale: replace it.
        stale = field.generate_filename(letter, name)
        if field.storage.exists(stale):
            field.storage.delete(stale)
        letter.pdf.save(name, ContentFile(pdf), save=False)
        letter.status = PostalLetter.Status.TO_PRINT
        letter.ready_at = timezone.now()
        letter.save(update_fields=["pdf", "status", "ready_at"])
        if settings.DEMO_MODE:
            post_demo_letter(
                recipient=" / ".join(letter.insured.postal_address),
                subject=(
                    "Bienvenue : votre code provisoire"
                    if letter.kind == PostalLetter.Kind.WELCOME
                    else "Votre code provisoire"
                ),
                pdf=pdf,
            )


def letter_mark_failed(*, letter_id: int) -> None:
    """A letter whose rendering gave up: the mailroom sees it, staff can issue a new code."""
    updated = PostalLetter.objects.filter(pk=letter_id, status=PostalLetter.Status.PREPARING).update(
        status=PostalLetter.Status.FAILED
    )
    if updated:
        logger.error("letter %s: rendering failed for good", letter_id)


def letters_mark_sent(*, letters, actor) -> int:
    """Record that the printed letters went to the post; return how many did."""
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            PostalLetter.objects.select_for_update()
            .filter(pk__in=letters.values("pk"), status=PostalLetter.Status.TO_PRINT)
            .order_by("pk")
        )
        for letter in batch:
            letter.status = PostalLetter.Status.SENT
            letter.sent_at = now
            letter.sent_by = actor
            letter.save(update_fields=["status", "sent_at", "sent_by"])
            audit(actor=actor, action="letter_sent", obj=letter, summary=letter.get_kind_display())
    return len(batch)


def letters_zip(*, letters, actor) -> bytes:
    """One ZIP of the selected letters' PDFs, for a print run; letters without a PDF are left out."""
    batch = list(letters.exclude(pdf="").order_by("created_at"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for letter in batch:
            with letter.pdf.open("rb") as pdf:
                archive.writestr(letter_filename(letter), pdf.read())
            audit(
                actor=actor,
                action="letter_download",
                obj=letter,
                summary=f"lot ZIP de {len(batch)} courrier(s)",
            )
    return buffer.getvalue()
