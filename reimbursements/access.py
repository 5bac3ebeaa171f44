"""Who may see what: one helper per object kind, the same 404 for "not found" and "not yours"."""

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from accounts.access import get_insured_for_user

from .models import DeductionRefund, Payment, Settlement


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
