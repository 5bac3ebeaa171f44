"""Access helpers: the person's own objects, or 404 (the same answer for "not yours")."""

from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import DataExport


def get_data_export_for_user(user, public_id) -> DataExport:
    """A ready, unexpired archive of ``user``'s own data."""
    return get_object_or_404(
        DataExport,
        public_id=public_id,
        user_id=user.pk,
        status=DataExport.Status.READY,
        expires_at__gt=timezone.now(),
    )
