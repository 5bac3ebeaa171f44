"""A signed-in request writes at most once every few minutes, and the idle timeout and
« Mes sessions » stay true (accounts.middleware.SessionActivityMiddleware)."""

from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def hello(request):
    return HttpResponse("hello")


@login_not_required
def public_hello(request):
    return HttpResponse("hello")


urlpatterns = [
    path("bonjour/", hello),
    path("bonjour-public/", public_hello),
    path("", include("ameli_portal.urls")),
]

REFRESH = timedelta(seconds=settings.SESSION_ACTIVITY_REFRESH)
IDLE = timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _writes(queries):
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def _signed_in(client, user, at):
    with time_machine.travel(at, tick=False):
        client.force_login(user)
        assert client.get("/bonjour/").status_code == 200  # the first request renews the session


def test_the_interval_is_a_few_minutes_and_the_idle_timeout_30():
    assert timedelta(minutes=1) <= REFRESH <= timedelta(minutes=5)
    assert IDLE == timedelta(minutes=30)
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def test_a_signed_in_hello_reads_the_session_and_the_user_and_writes_nothing(client, insured):
    start = timezone.now()
    _signed_in(client, insured.user, start)
    with time_machine.travel(start + REFRESH / 2, tick=False):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/bonjour/")
    assert response.status_code == 200 and response.content == b"hello"
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries.captured_queries]
    assert tables == ['"django_session"', '"accounts_user"'], queries.captured_queries
    assert "sessionid" not in response.cookies  # nothing to renew: no new cookie either


def test_an_anonymous_hello_without_a_session_reads_nothing(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/bonjour-public/").content == b"hello"
    assert len(queries) == 0


def test_the_renewal_writes_once_and_renews_the_cookie(client, insured):
    start = timezone.now()
    _signed_in(client, insured.user, start)
    with time_machine.travel(start + REFRESH, tick=False):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/bonjour/")
    writes = _writes(queries)
    assert [w.split()[1] for w in writes] == ['"usersessions_usersession"', '"django_session"']
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE


def test_an_idle_session_ends_at_most_30_minutes_after_the_last_request(client, insured):
    start = timezone.now()
    _signed_in(client, insured.user, start)
    last = start + REFRESH - timedelta(seconds=1)  # a request that renews nothing
    with time_machine.travel(last, tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/bonjour/").status_code == 200
    assert _writes(queries) == []
    # Never signed in longer than 30 minutes after the last request…
    with time_machine.travel(last + IDLE, tick=False):
        assert client.get("/bonjour/").status_code == 302
    # … and never signed out before 30 minutes minus the interval.
    other = Client()
    _signed_in(other, insured.user, start)
    with time_machine.travel(last, tick=False):
        assert other.get("/bonjour/").status_code == 200
    with time_machine.travel(last + IDLE - REFRESH, tick=False):
        assert other.get("/bonjour/").status_code == 200


def test_activity_keeps_the_session_alive_long_past_30_minutes_with_few_writes(client, insured):
    start = timezone.now()
    _signed_in(client, insured.user, start)
    writes = 0
    for minutes in range(2, 121, 2):  # a request every 2 minutes for 2 hours
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/bonjour/").status_code == 200
            writes += bool(_writes(queries))
    assert writes <= 120 / (REFRESH.total_seconds() / 60) + 1  # once a renewal interval, not 60 times
    assert writes >= 120 / 30  # but often enough to outlive the idle timeout
    with time_machine.travel(start + timedelta(minutes=120) + IDLE, tick=False):
        assert client.get("/bonjour/").status_code == 302


def test_my_sessions_shows_the_last_request_to_within_the_interval(client, insured):
    start = timezone.now()
    _signed_in(client, insured.user, start)
    later = start + timedelta(minutes=44)  # the last request
    for minutes in range(4, 45, 4):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            client.get("/bonjour/", REMOTE_ADDR="192.0.2.77", HTTP_USER_AGENT="Navigateur de test")
    session = UserSession.objects.get(session_key=client.session.session_key)
    assert later - REFRESH <= session.last_seen_at <= later
    assert session.ip == "192.0.2.77" and session.user_agent == "Navigateur de test"
    with time_machine.travel(later, tick=False):
        page = client.get(reverse("usersessions_list")).content.decode()
    assert "192.0.2.77" in page and "Navigateur de test" in page


def test_tabs_sharing_a_session_do_not_write_on_every_request(client, insured):
    start = timezone.now()
    _signed_in(client, insured.user, start)
    tabs = [client, Client(), Client()]
    for tab in tabs[1:]:
        tab.cookies = client.cookies  # the same browser: the same session cookie
    seconds = int(REFRESH.total_seconds())
    requests, writes = 0, []
    for second in range(10, 2 * seconds, 10):  # three tabs, a request every 10 s each
        for tab in tabs:
            with time_machine.travel(start + timedelta(seconds=second), tick=False):
                with CaptureQueriesContext(connection) as queries:
                    assert tab.get("/bonjour/").status_code == 200
            requests += 1
            writes += _writes(queries)
    assert requests > 80
    assert len(writes) == 2  # one renewal (the session and its user session): the first past the interval
