"""The only code that files requests, moves them through their workflow and stores attachments."""

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Beneficiary, Insured
from accounts.services.cards import vitale_card_oppose
from accounts.services.codes import ProvisionalCodeResult, code_check, code_draw, format_code, normalize_code
from ameli_portal.audit import audit
from ameli_portal.domain import DomainError
from ameli_portal.emails import enqueue_email, send_templated_email
from ameli_portal.formats import first_name
from ameli_portal.idempotency import first_wins
from ameli_portal.outbox import enqueue
from ameli_portal.site import site_url
from messaging.services.threads import notice_post

from .effects import EFFECTS
from .models import (
    PROCESSING_DAYS,
    ActorKind,
    Attachment,
    Kind,
    PublicConfirmation,
    Request,
    RequestEvent,
    Status,
    add_working_days,
)
from .uploads import CheckedUpload, check_count

logger = logging.getLogger(__name__)

STAFF, INSURED, SYSTEM = ActorKind.STAFF, ActorKind.INSURED, ActorKind.SYSTEM

# (from, to) -> who may make that move. Anything else is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.FILED, Status.REVIEW): frozenset({STAFF}),
    (Status.REVIEW, Status.COMPLEMENT): frozenset({STAFF}),
    (Status.COMPLEMENT, Status.REVIEW): frozenset({INSURED, STAFF}),
    (Status.REVIEW, Status.ACCEPTED): frozenset({STAFF}),
    (Status.REVIEW, Status.REFUSED): frozenset({STAFF}),
    # No answer to a complement in time: the caisse may refuse without one.
    (Status.COMPLEMENT, Status.REFUSED): frozenset({STAFF}),
    (Status.ACCEPTED, Status.CLOSED): frozenset({STAFF, SYSTEM}),
    (Status.REFUSED, Status.CLOSED): frozenset({STAFF, SYSTEM}),
}
REASON_REQUIRED = {Status.REFUSED, Status.COMPLEMENT}
DECISIONS = {Status.ACCEPTED, Status.REFUSED, Status.COMPLEMENT}


# The job that emails a public confirmation code (tasks.py), enqueued by name: tasks
# import the services, never the other way round.
PUBLIC_CONFIRMATION_JOB = "requests_app.send_public_confirmation"


class TransitionNotAllowed(DomainError):
    """A move that the transition table or its rules refuse; the message is for people."""


def allowed_targets(status: str, actor_kind: str = STAFF) -> list[str]:
    return [to for (frm, to), who in TRANSITIONS.items() if frm == status and actor_kind in who]


def actor_kind_of(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return SYSTEM
    return STAFF if actor.is_staff else INSURED


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- emails and notices ---------------------------------------------------------------


def _notify(request: Request) -> None:
    """The status email: the kind in general words, the status, a link; nothing more."""
    to = request.insured.contact_email
    if not to:
        return
    url = ""
    if not request.filed_without_account:
        url = site_url() + reverse("requests_app:detail", args=[request.public_id])
    enqueue_email(
        template="request-status",
        to=[to],
        context={
            "first_name": first_name(request.insured.first_names),
            "kind": request.get_kind_display(),
            "status": request.status,
            "status_label": request.get_status_display(),
            "reference": request.reference,
            "url": url,
        },
    )


NOTICE_SUBJECTS = {
    Status.ACCEPTED: "Votre démarche « {kind} » est acceptée",
    Status.REFUSED: "Votre démarche « {kind} » est refusée",
    Status.COMPLEMENT: "Votre démarche « {kind} » : des pièces sont demandées",
}
NOTICE_BODIES = {
    Status.ACCEPTED: "Votre caisse a accepté votre démarche « {kind} » (référence {ref}).\n\n{reason}",
    Status.REFUSED: "Votre caisse a refusé votre démarche « {kind} » (référence {ref}).\n\nMotif : {reason}",
    Status.COMPLEMENT: "Pour instruire votre démarche « {kind} » (référence {ref}), votre caisse "
    "vous demande :\n\n{reason}\n\nRépondez depuis la page de la démarche, dans "
    "« Mes démarches ».",
}


def _post_notice(request: Request, reason: str) -> None:
    kind = request.get_kind_display()
    notice_post(
        insured=request.insured,
        subject=NOTICE_SUBJECTS[Status(request.status)].format(kind=kind),
        body=NOTICE_BODIES[Status(request.status)]
        .format(kind=kind, ref=request.reference, reason=reason)
        .strip(),
        topic="demarches",
        notify=False,  # the status email (_notify) already says an avis is in the box
    )


# --- attachments ----------------------------------------------------------------------


@contextmanager
def _files_removed_on_failure():
    """Files stored in the block (appended to the list it gives) are deleted if the block
    fails: a filing rolled back leaves no document on disk without its row. Entered outside
    the block's transaction, so that a failed commit counts too."""
    stored: list = []
    try:
        yield stored
    except BaseException:
        for file in stored:
            try:
                file.storage.delete(file.name)
            except OSError:
                logger.warning("pièce jointe orpheline non supprimée : %s", file.name)
        raise


def _store(
    request: Request,
    upload: CheckedUpload,
    *,
    label: str,
    by: str,
    stored: list,
    for_complement: bool = False,
) -> Attachment:
    attachment = Attachment(
        request=request,
        label=label[:80],
        content_type=upload.content_type,
        size=upload.size,
        original_name=upload.original_name,
        sha256=upload.sha256,
        uploaded_by_kind=by,
        added_for_complement=for_complement,
    )
    attachment.file.save("", ContentFile(upload.data), save=False)
    stored.append(attachment.file)
    attachment.save()
    return attachment


def _store_all(
    request: Request,
    uploads: Iterable[tuple[str, CheckedUpload]],
    *,
    by: str,
    stored: list,
    for_complement: bool = False,
) -> list[Attachment]:
    uploads = list(uploads)
    check_count(existing=request.attachments.count(), adding=len(uploads))
    return [
        _store(request, upload, label=label, by=by, stored=stored, for_complement=for_complement)
        for label, upload in uploads
    ]


# --- filing ---------------------------------------------------------------------------


def request_file(
    *,
    insured: Insured,
    kind: str,
    data: dict,
    uploads=(),
    beneficiary: Beneficiary | None = None,
    actor=None,
    filed_without_account: bool = False,
    idempotency_key: str = "",
) -> Request:
    """File a request: it is "déposée", its documents stored, the insured told by email.

    Filed from an account, a carte Vitale lost or stolen is put in opposition at once,
    before any review. Filed without an account (by anyone who knows the identity), nothing
    is done until the holder or staff confirm it: see :func:`_await_confirmation`.
    ``uploads``: (label, CheckedUpload) pairs, already checked by uploads.check_upload.
    ``idempotency_key``: the filing form's token; a form sent again (in a row or at the same
    instant) gets the démarche it filed, with no second email, file or opposition.
    """
    if beneficiary is not None and beneficiary.insured_id != insured.pk:
        raise ValueError("beneficiary of another insured")
    if (filed := request_filed_with(insured=insured, key=idempotency_key)) is not None:
        return filed
    with (
        first_wins(
            key=idempotency_key, find=lambda: request_filed_with(insured=insured, key=idempotency_key)
        ) as race,
        _files_removed_on_failure() as stored,
        transaction.atomic(),
    ):
        request = Request.objects.create(
            insured=insured,
            beneficiary=beneficiary,
            kind=kind,
            data=data,
            filed_without_account=filed_without_account,
            idempotency_key=idempotency_key,
            expected_by=add_working_days(timezone.localdate(), PROCESSING_DAYS[Kind(kind)]),
        )
        by = actor_kind_of(actor)
        RequestEvent.objects.create(
            request=request, from_status="", to_status=Status.FILED, actor=_user(actor), actor_kind=by
        )
        _store_all(request, uploads, by=by, stored=stored)
        if filed_without_account:
            _await_confirmation(request)
        else:
            if _opposes_card(request):
                vitale_card_oppose(
                    insured=insured, beneficiary=beneficiary, reason=data["reason"], actor=_user(actor)
                )
            _notify(request)
    return race.found or request


def request_filed_with(*, insured: Insured, key: str) -> Request | None:
    """The démarche that the filing form with this token made, if any."""
    if not key:
        return None
    return Request.objects.filter(insured=insured, idempotency_key=key).first()


def _opposes_card(request: Request) -> bool:
    return request.kind == Kind.VITALE and request.data.get("reason") in ("loss", "theft")


# --- the workflow ---------------------------------------------------------------------


def request_transition(
    *,
    request: Request,
    to_status: str,
    actor,
    reason: str = "",
    amount: Decimal | None = None,
    months: int | None = None,
    idempotency_key: str = "",
) -> Request:
    """Move a request along the transition table; write the event, the email, the effect.

    ``amount`` and ``months`` are the decision on a prestation or a payment delay
    (they default to what was asked). ``idempotency_key``: the insured person's form token,
    kept on the event (see request_answer_complement).
    """
    reason = (reason or "").strip()
    by = actor_kind_of(actor)
    with transaction.atomic():
        locked = (
            Request.objects.select_for_update(of=("self",))
            .select_related("insured", "beneficiary")
            .get(pk=request.pk)
        )
        frm = locked.status
        _transition_check(locked, to_status, by=by, actor=actor, reason=reason)
        _transition_apply(locked, to_status, actor=actor, reason=reason, amount=amount, months=months)
        _transition_record(
            locked, frm, to_status, by=by, actor=actor, reason=reason, idempotency_key=idempotency_key
        )
    request.refresh_from_db()
    return request


def _transition_check(locked: Request, to_status: str, *, by: str, actor, reason: str) -> None:
    """The transition table and its rules: who may make this move, and with what."""
    who = TRANSITIONS.get((locked.status, to_status))
    if who is None:
        raise TransitionNotAllowed(
            f"Une démarche « {locked.get_status_display()} » ne peut pas passer à "
            f"« {Status(to_status).label if to_status in Status.values else to_status} »."
        )
    if by not in who:
        raise TransitionNotAllowed("Vous ne pouvez pas faire ce changement d'état.")
    if by == INSURED and actor.insured_id != locked.insured_id:
        raise TransitionNotAllowed("Cette démarche n'est pas la vôtre.")
    if to_status in REASON_REQUIRED and not reason:
        raise TransitionNotAllowed(
            "Un motif est obligatoire pour un refus."
            if to_status == Status.REFUSED
            else "Indiquez ce qui est attendu de l'assuré."
        )


def _transition_apply(
    locked: Request, to_status: str, *, actor, reason: str, amount: Decimal | None, months: int | None
) -> None:
    """The new state of the (locked, unsaved) request; on acceptance, its effect on the register.

    A refusal of the register (DomainError: CardRefused, a bad IBAN...) refuses the move,
    with its message for the conseiller; any other error is a bug and stays one.
    """
    frm = locked.status
    now = timezone.now()
    locked.status = to_status
    if to_status == Status.COMPLEMENT:
        locked.expected_from_insured = reason
    elif frm == Status.COMPLEMENT:
        locked.expected_from_insured = ""
        locked.expected_by = add_working_days(timezone.localdate(), PROCESSING_DAYS[Kind(locked.kind)])
    if to_status in (Status.ACCEPTED, Status.REFUSED):
        locked.decided_at = now
        locked.decision_reason = reason
    if to_status == Status.ACCEPTED:
        if locked.kind == Kind.PRESTATION:
            locked.decided_amount = amount if amount is not None else Decimal(locked.data["amount"])
        if locked.kind == Kind.COTISATION:
            locked.granted_months = months if months is not None else int(locked.data["months"])
        try:
            EFFECTS[locked.kind](locked, actor=_user(actor))
        except DomainError as exc:
            raise TransitionNotAllowed(str(exc)) from exc
    if locked.filed_without_account and to_status in (Status.ACCEPTED, Status.REFUSED):
        # The decision settles it: the emailed code can no longer do anything.
        _pending_confirmation(locked).update(
            code_hash=make_password(None),
            **(
                {"confirmed_at": now, "confirmed_by": PublicConfirmation.ConfirmedBy.STAFF}
                if to_status == Status.ACCEPTED
                else {"voided_at": now}
            ),
        )


def _transition_record(
    locked: Request, frm: str, to_status: str, *, by: str, actor, reason: str, idempotency_key: str
) -> None:
    """Save the move and say it: the event, the staff audit, the email, the notice."""
    locked.save()
    RequestEvent.objects.create(
        request=locked,
        from_status=frm,
        to_status=to_status,
        actor=_user(actor),
        actor_kind=by,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    if by == STAFF:
        audit(
            actor=actor,
            action=f"request_{to_status}",
            obj=locked,
            summary=f"{frm} -> {to_status}" + (f" : {reason}" if reason else ""),
        )
    _notify(locked)
    if to_status in DECISIONS:
        _post_notice(locked, reason)


def request_answer_complement(
    *, request: Request, actor, uploads, message: str = "", idempotency_key: str = ""
) -> Request:
    """The insured sends the documents asked for: they are stored, the request goes back to review.

    ``idempotency_key``: the complement form's token; the same form sent again, even after
    the caisse asked for another complement, is the answer already given, not a new one.
    """
    with _files_removed_on_failure() as stored, transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        # Under the lock: a second sending of the same form waits here, then finds the answer.
        if complement_answered_with(request=locked, key=idempotency_key):
            request.refresh_from_db()
            return request
        if locked.status != Status.COMPLEMENT:
            raise TransitionNotAllowed("Aucun complément n'est demandé pour cette démarche.")
        _store_all(locked, uploads, by=actor_kind_of(actor), stored=stored, for_complement=True)
        request_transition(
            request=locked,
            to_status=Status.REVIEW,
            actor=actor,
            reason=message or "Pièces complémentaires envoyées.",
            idempotency_key=idempotency_key,
        )
    request.refresh_from_db()
    return request


def complement_answered_with(*, request: Request, key: str) -> bool:
    """Whether the complement form with this token was already answered."""
    return bool(key) and request.events.filter(idempotency_key=key).exists()


def request_assign(*, request: Request, to, actor) -> Request:
    """Give a request to a conseiller (``to`` None: back to the common queue)."""
    with transaction.atomic():
        Request.objects.filter(pk=request.pk).update(assigned_to=to)
        request.assigned_to = to
        audit(
            actor=actor,
            action="request_assign",
            obj=request,
            summary=f"attribuée à {to.get_username()}" if to else "désattribuée",
        )
    return request


def attachment_staff_access(*, attachment: Attachment, actor) -> None:
    audit(
        actor=actor,
        action="attachment_download",
        obj=attachment,
        summary=f"démarche {attachment.request.public_id}",
    )


# --- requests filed without an account: confirmed by the holder's emailed code, or by staff ---

OPEN_STATUSES = (Status.FILED, Status.REVIEW, Status.COMPLEMENT)
PUBLIC_EVENT = "public_confirmation"


def public_code_validity() -> timedelta:
    return timedelta(hours=getattr(settings, "PUBLIC_CONFIRMATION_VALIDITY_HOURS", 48))


def _pending_confirmation(request: Request):
    return PublicConfirmation.objects.filter(
        request=request, confirmed_at__isnull=True, voided_at__isnull=True
    )


def _await_confirmation(request: Request) -> PublicConfirmation:
    """The request waits; the holder is told by email (with the code) and in their box."""
    insured = request.insured
    email = insured.contact_email
    confirmation = PublicConfirmation.objects.create(
        request=request,
        by_email=bool(email),
        code_hash=make_password(None),
        expires_at=timezone.now() + public_code_validity(),
    )
    if email:
        # The job draws the digits: the clear code never sits in the outbox or the broker.
        enqueue(PUBLIC_CONFIRMATION_JOB, confirmation_id=confirmation.pk)
    if hasattr(insured, "user"):
        notice_post(
            insured=insured,
            subject=f"Une demande « {request.get_kind_display()} » a été faite sans compte",
            body=_public_notice_body(request, by_email=bool(email)),
            topic="demarches",
            notify=False,
        )  # the email to the same address already tells them
    return confirmation


def _public_notice_body(request: Request, *, by_email: bool) -> str:
    phone = settings.BRANDING["phone"]
    confirm = (
        "confirmez-la avec le code envoyé à votre adresse électronique, ou attendez qu'un "
        "conseiller de votre caisse la vérifie"
        if by_email
        else "un conseiller de votre caisse la vérifiera avant d'y donner suite"
    )
    return (
        f"Le {timezone.localtime(request.filed_at):%d/%m/%Y à %H:%M}, une demande « "
        f"{request.get_kind_display()} » (référence {request.reference}) a été faite à votre nom "
        "depuis le formulaire public, sans connexion à votre compte.\n\n"
        f"Si c'est vous : {confirm}. Rien n'est fait avant cette confirmation ; en cas de perte ou "
        "de vol, votre carte actuelle n'est mise en opposition qu'après elle.\n\n"
        "Si ce n'est pas vous : ne communiquez le code à personne (votre caisse ne vous le "
        f"demandera jamais) et appelez votre caisse au {phone} pour faire annuler la demande."
    )


def public_confirmation_send(*, confirmation_id: int) -> None:
    """Draw the code, keep its hash, and email the holder that a request was made without account.

    Called by the email job only, inside the job's transaction: an email that fails rolls
    the hash back, and the retry draws new digits.
    """
    with transaction.atomic():
        confirmation = (
            PublicConfirmation.objects.select_for_update(of=("self",))
            .select_related("request__insured")
            .filter(pk=confirmation_id)
            .first()
        )
        if confirmation is None or not confirmation.request.insured.contact_email:
            return
        code = ""
        if confirmation.pending and confirmation.request.status in OPEN_STATUSES:
            code, confirmation.code_hash = code_draw()
            confirmation.save(update_fields=["code_hash"])
        _send_public_email(confirmation, code=format_code(code) if code else "")


def _send_public_email(confirmation: PublicConfirmation, *, code: str) -> None:
    request = confirmation.request
    url = site_url() + reverse("requests_app:public_vitale_confirm", args=[confirmation.public_id])
    send_templated_email(
        template="public-request",
        to=[request.insured.contact_email],
        context={
            "first_name": first_name(request.insured.first_names),
            "kind": request.get_kind_display(),
            "reference": request.reference,
            "filed_at": timezone.localtime(request.filed_at),
            "opposes_card": _opposes_card(request),
            "code": code,
            "expires_at": timezone.localtime(confirmation.expires_at),
            "url": url,
        },
    )


def public_confirmation_verify(*, public_id, code: str) -> ProvisionalCodeResult:
    """The holder types the emailed code: the request is confirmed, a lost card opposed.

    The same answers whether or not ``public_id`` exists. A wrong code is counted in its own
    transaction: call this outside any ``atomic`` block that may roll back.
    """
    typed = normalize_code(code)
    if typed is None:
        return ProvisionalCodeResult.FORMAT
    with transaction.atomic():
        live = (
            PublicConfirmation.objects.select_for_update(of=("self",))
            .select_related("request__insured", "request__beneficiary")
            .filter(
                public_id=public_id,
                confirmed_at__isnull=True,
                voided_at__isnull=True,
                request__status__in=OPEN_STATUSES,
            )
            .first()
        )
        result = code_check(
            live, typed, event=PUBLIC_EVENT, owner=f"request={live.request_id if live else '-'}"
        )
        if result is ProvisionalCodeResult.OK and live is not None:
            _confirm_by_code(live)
    return result


def _confirm_by_code(confirmation: PublicConfirmation) -> None:
    request = confirmation.request
    confirmation.confirmed_at = timezone.now()
    confirmation.confirmed_by = PublicConfirmation.ConfirmedBy.CODE
    confirmation.code_hash = make_password(None)  # single use
    confirmation.save(update_fields=["confirmed_at", "confirmed_by", "code_hash"])
    note = "Demande confirmée par le code envoyé à l'adresse électronique connue de la caisse."
    if _opposes_card(request):
        card = vitale_card_oppose(
            insured=request.insured, beneficiary=request.beneficiary, reason=request.data["reason"]
        )
        if card is not None:
            note += " Ancienne carte mise en opposition."
    # Not a status change: the event keeps the status and says who confirmed.
    RequestEvent.objects.create(
        request=request, from_status=request.status, to_status=request.status, actor_kind=INSURED, reason=note
    )
    logger.info("public_confirmation_confirmed request=%s", request.pk)
