"""Every periodic job beat publishes names a task the worker knows."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import HealthCard
from accounts.tasks import expire_health_cards
from ameli_portal.celery import app
from tests.factories import HealthCardFactory


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    unknown = [
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks
    ]
    assert unknown == []


def test_cards_past_their_end_date_expire_every_night(db):
    card = HealthCardFactory(
        kind=HealthCard.Kind.CEAM,
        status=HealthCard.Status.VALID,
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    assert settings.CELERY_BEAT_SCHEDULE["expire-health-cards"]["task"] == expire_health_cards.name
    assert expire_health_cards() == 1
    card.refresh_from_db()
    assert card.status == HealthCard.Status.EXPIRED
