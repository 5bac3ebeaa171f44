"""Access helpers: the person's own objects, or 404 (the same answer for "not yours").

``get_insured_for_user`` is the one door to "the insured person behind this account" for
every app (views and API alike): a staff account, or a visitor, has none and gets a 404.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import DataExport, Insured


def get_insured_id_for_user(user) -> int:
    """The id of the insured person behind an account (no query); 404 when there is none."""
    insured_id = getattr(user, "insured_id", None)
    if insured_id is None:
        raise Http404
    return insured_id


def get_insured_for_user(user, *, queryset=None) -> Insured:
    """The insured person behind an account; staff accounts have none and get a 404.
    `queryset`: read them from it (with its annotations) rather than through the account."""
    insured_id = get_insured_id_for_user(user)
    return user.insured if queryset is None else queryset.get(pk=insured_id)


def get_data_export_for_user(user, public_id) -> DataExport:
    """A ready, unexpired archive of ``user``'s own data."""
    return get_object_or_404(
        DataExport,
        public_id=public_id,
        user_id=user.pk,
        status=DataExport.Status.READY,
        expires_at__gt=timezone.now(),
    )
