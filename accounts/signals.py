"""Reactions to allauth's account events."""

from allauth.account.signals import email_confirmed, password_changed, password_reset
from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.dispatch import receiver

from .services.login import account_activated, user_unlock


def end_other_sessions(user) -> None:
    """End the user's other sessions (allauth's usersessions, through its public adapter);
    this request's session is kept."""
    get_adapter().end_sessions(
        [session for session in UserSession.objects.filter(user_id=user.pk) if not session.is_current()]
    )


@receiver(email_confirmed)
def _welcome(sender, request, email_address, **kwargs):
    account_activated(user=email_address.user)


@receiver(password_reset)
def _after_reset(sender, request, user, **kwargs):
    # Proving control of the mailbox unlocks the account; other sessions end.
    user_unlock(user=user)
    end_other_sessions(user)


@receiver(password_changed)
def _after_change(sender, request, user, **kwargs):
    end_other_sessions(user)
