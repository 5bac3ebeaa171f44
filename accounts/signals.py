"""Reactions to allauth's account events."""

from allauth.account.signals import email_confirmed, password_changed, password_reset
from allauth.usersessions.internal.flows.sessions import end_other_sessions
from django.dispatch import receiver

from . import services


@receiver(email_confirmed)
def _welcome(sender, request, email_address, **kwargs):
    services.account_activated(user=email_address.user)


@receiver(password_reset)
def _after_reset(sender, request, user, **kwargs):
    # Proving control of the mailbox unlocks the account; other sessions end.
    services.user_unlock(user=user)
    end_other_sessions(request, user)


@receiver(password_changed)
def _after_change(sender, request, user, **kwargs):
    end_other_sessions(request, user)
