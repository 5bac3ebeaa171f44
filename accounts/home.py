"""« Mon espace »: what the signed-in insured person finds on arriving.

What changed since the previous sign-in (kept in the session at sign-in, see
``remember_previous_login``), what the caisse waits for, the documents ready, the
card and the last payments. A fixed number of queries whatever the history's size
(tests/accounts/test_home.py pins it).
"""

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
    cards: object = None  # accounts.cards.PersonCards: the person's own cards
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
    from .cards import PersonCards

    person = PersonCards(name=insured.full_name, beneficiary=None, age=insured.age_on(timezone.localdate()))
    person.cards = list(HealthCard.objects.filter(insured=insured, beneficiary__isnull=True)
                        .order_by("-ordered_at", "-pk")[:20])
    return person


def home_for(insured: Insured, since: datetime | None) -> Home:
    from attestations.models import Document
    from messaging.models import Message
    from reimbursements import queries
    from reimbursements.models import Settlement
    from requests_app.models import Request

    home = Home(since=since)
    if since is not None:
        home.new_payments = (Settlement.objects.filter(insured=insured, payment__created_at__gt=since)
                             .values("payment").distinct().count())
        home.new_messages = Message.objects.filter(
            thread__insured=insured, author_kind=Message.AuthorKind.CAISSE, created_at__gt=since,
        ).count()
    home.waiting = list(Request.objects.filter(insured=insured, status=Request.Status.COMPLEMENT)
                        .order_by("filed_at")[:5])
    home.documents = list(
        Document.objects.filter(owner=insured, status=Document.Status.READY, revoked_at__isnull=True)
        .exclude(kind=Document.Kind.CODE_LETTER).order_by("-issued_at", "-pk")[:READY_DOCUMENTS]
    )
    home.cards = _own_cards(insured)
    filters = queries.Filters(start=queries.history_start(timezone.localdate()))
    home.payments = list(queries.payments_page(insured, filters, 1, per_page=LAST_PAYMENTS))
    return home
