"""Who may see what: the same 404 for "not found" and "not yours"."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Thread


def get_insured_id_for_user(user) -> int:
    """The insured person behind an account; staff accounts have none and get a 404."""
    if getattr(user, "insured_id", None) is None:
        raise Http404
    return user.insured_id


def get_thread_for_user(user, public_id) -> Thread:
    insured_id = get_insured_id_for_user(user)
    return get_object_or_404(Thread, insured_id=insured_id, public_id=public_id)
