"""Who may see what: one helper per object kind, the same 404 for "not found" and "not yours"."""

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Insured

from .models import DeductionRefund, Payment, Settlement


def get_insured_for_user(user, *, queryset=None) -> Insured:
    """The insured person behind an account; staff accounts have none and get a 404.
    `queryset`: read them from it (with its annotations) rather than through the account."""
    if user.insured_id is None:
        raise Http404
    return user.insured if queryset is None else queryset.get(pk=user.insured_id)


def get_payment_for_user(user, public_id) -> Payment:
    """A payment carrying at least one of the user's acts: a transfer to them, or under
    tiers payant a transfer to a professional (of which they only ever see their own lines);
    or a transfer to them that only gives back deductions (DeductionRefund)."""
    insured = get_insured_for_user(user)
    own_lines = Settlement.objects.filter(payment=OuterRef("pk"), insured=insured)
    own_refunds = DeductionRefund.objects.filter(payment=OuterRef("pk"), insured=insured)
    return get_object_or_404(
        Payment.objects.filter(Exists(own_lines) | Exists(own_refunds)).select_related("professional"),
        public_id=public_id,
    )
