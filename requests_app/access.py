"""Who may see what: the same 404 for "not found" and "not yours"."""

from django.shortcuts import get_object_or_404

from accounts.access import get_insured_for_user

from .models import Attachment, Request


def get_request_for_user(user, public_id) -> Request:
    insured = get_insured_for_user(user)
    return get_object_or_404(
        Request.objects.select_related("beneficiary"), insured=insured, public_id=public_id
    )


def get_attachment_for_user(user, public_id) -> Attachment:
    insured = get_insured_for_user(user)
    return get_object_or_404(
        Attachment.objects.select_related("request"), request__insured=insured, public_id=public_id
    )


def home_waiting(home, insured, since) -> None:
    """« Mon espace »: the démarches where the caisse waits for a complement."""
    home.waiting = list(
        Request.objects.filter(insured=insured, status=Request.Status.COMPLEMENT).order_by("filed_at")[:5]
    )
