"""Signing in: activation, failed and successful logins, unlocking, staff addresses."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name

from ..lockout import failure_record, failures_clear
from ..models import User
from ..security import log_event


@transaction.atomic
def account_activated(*, user: User) -> None:
    """The email is confirmed: the account is usable; say welcome (once)."""
    if user.last_login is not None or user.insured is None:
        return
    enqueue_email(
        template="welcome",
        to=[user.email],
        context={"first_name": first_name(user.insured.first_names)},
    )
    log_event("account_activated", user_id=user.pk)


def user_unlock(*, user: User) -> None:
    failures_clear(user.username)
    if user.locked_at is None and user.failed_logins == 0:
        return
    User.objects.filter(pk=user.pk).update(locked_at=None, failed_logins=0)
    user.locked_at, user.failed_logins = None, 0
    log_event("account_unlocked", user_id=user.pk)


@transaction.atomic
def login_failed(*, login: str, ip: str | None) -> None:
    """Count a wrong password; lock the account at the limit and tell its owner.

    The identifier's own count (accounts/lockout.py) goes up whether or not an account
    has it: it decides the page's message, the same for every identifier."""
    failure_record(login)
    user = User.objects.select_for_update().filter(username=login, is_active=True).first()
    log_event("login_failed", login=login, ip=ip, known=user is not None)
    if user is None or user.locked_at is not None:
        return
    user.failed_logins += 1
    fields = ["failed_logins"]
    if user.failed_logins >= settings.ACCOUNT_MAX_FAILED_LOGINS:
        user.locked_at = timezone.now()
        fields.append("locked_at")
        if not user.is_staff:
            # Staff are unlocked by a superviseur or an administrator (the back office's
            # sign-in page says so); the insured mail points to the NIR reset page.
            enqueue_email(
                template="account-locked",
                to=[user.email],
                context={
                    "first_name": user.first_name,
                },
            )
        log_event("account_locked", user_id=user.pk)
    user.save(update_fields=fields)


def login_succeeded(*, user: User) -> None:
    failures_clear(user.username)
    if user.failed_logins:
        User.objects.filter(pk=user.pk).update(failed_logins=0)
    log_event("login_succeeded", user_id=user.pk)


def staff_address_confirm(*, user: User) -> None:
    """The address on a staff account's record counts as verified.

    Staff never sign themselves up: the caisse gives their address (``createsuperuser``, the
    back office, the demo). allauth refuses to set up an authenticator app while an address
    of the account is unverified (its guard against a stranger's sign-up squatting someone's
    address), which left a new agent facing an email step of the insured sign-up before the
    app the back office requires. Called at each back-office sign-in: a no-op once done.
    """
    from allauth.account.models import EmailAddress

    if not (user.is_staff and user.insured_id is None and user.email):
        return
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is not None and address.verified:
        return
    with transaction.atomic():
        has_primary = (
            EmailAddress.objects.filter(user=user, primary=True)
            .exclude(pk=getattr(address, "pk", None))
            .exists()
        )
        if address is None:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=not has_primary)
        else:
            address.verified = True
            address.primary = address.primary or not has_primary
            address.save(update_fields=["verified", "primary"])
    log_event("staff_address_confirmed", user_id=user.pk)
