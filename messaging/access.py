"""Who may see what: the same 404 for "not found" and "not yours"."""

from django.shortcuts import get_object_or_404

from accounts.access import get_insured_id_for_user

from .models import Thread


def get_thread_for_user(user, public_id) -> Thread:
    insured_id = get_insured_id_for_user(user)
    return get_object_or_404(Thread, insured_id=insured_id, public_id=public_id)
