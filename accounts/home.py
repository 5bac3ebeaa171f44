"""« Mon espace »: what the signed-in insured person finds on arriving.

What changed since the previous sign-in (kept in the session at sign-in, see
``remember_previous_login``), what the caisse waits for, the documents ready, the
card and the last payments. A fixed number of queries whatever the history's size
(tests/accounts/test_home.py pins it).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import HealthCard, Insured

PREVIOUS_LOGIN = "previous_login"
# The name the header's account menu shows, kept in the session (already read on every page)
# rather than read from the register on every page.
ACCOUNT_NAME = "account_name"
LAST_PAYMENTS = 3
READY_DOCUMENTS = 3


def remember_previous_login(sender, request, user, **kwargs):
    """Keep the sign-in before this one in the session, then record this one (Django's own
    ``update_last_login``, which this receiver replaces so that the older value is read first)."""
    if request is not None and hasattr(request, "session"):
        previous = user.last_login
        request.session[PREVIOUS_LOGIN] = previous.isoformat() if previous else ""
        request.session[ACCOUNT_NAME] = account_name(user)
    update_last_login(sender, user, **kwargs)


def account_name(user) -> str:
    if user.insured_id:
        return user.insured.full_name
    return user.get_full_name() or user.get_username()


def install_login_receiver():
    user_logged_in.disconnect(dispatch_uid="update_last_login")
    user_logged_in.connect(remember_previous_login, dispatch_uid="accounts.remember_previous_login")


def previous_login(request) -> datetime | None:
    value = request.session.get(PREVIOUS_LOGIN) or ""
    return parse_datetime(value) if value else None


@dataclass
class Home:
    since: datetime | None
    new_payments: int = 0
    new_messages: int = 0
    waiting: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    cards: object = None  # accounts.selectors.PersonCards: the person's own cards
    payments: list = field(default_factory=list)

    @property
    def changes(self) -> list[str]:
        """« 2 paiements », « 1 message »: what is new since the previous visit."""
        parts = []
        if self.new_payments:
            parts.append(f"{self.new_payments} paiement{'s' if self.new_payments > 1 else ''}")
        if self.new_messages:
            parts.append(f"{self.new_messages} message{'s' if self.new_messages > 1 else ''}")
        return parts


def _own_cards(insured: Insured):
    """The person's own cards (one query), read as « Ma carte Vitale » reads them."""
    from .selectors import PersonCards

    person = PersonCards(name=insured.full_name, beneficiary=None, age=insured.age_on(timezone.localdate()))
    person.cards = list(
        HealthCard.objects.filter(insured=insured, beneficiary__isnull=True).order_by("-ordered_at", "-pk")[
            :20
        ]
    )
    return person


# What the apps above the register put on the page: each app's ready() registers a function
# filling its part of Home (the register imports none of them).
_PANELS: list[Callable[[Home, Insured, datetime | None], None]] = []


def home_panel(fill: Callable[[Home, Insured, datetime | None], None]):
    """Register ``fill(home, insured, since)``; called in the order of INSTALLED_APPS."""
    _PANELS.append(fill)
    return fill


def home_for(insured: Insured, since: datetime | None) -> Home:
    home = Home(since=since)
    home.cards = _own_cards(insured)
    for fill in _PANELS:
        fill(home, insured, since)
    return home
