"""What /readyz checks: the database, Redis, a worker's heartbeat and the outbox.

The heartbeat is written by the outbox relay task, which beat publishes every 30 s
and a worker runs: a fresh one proves that beat, the broker and a worker all
work, without asking the workers anything at request time (``celery inspect
ping`` waits for every worker's answer and costs a broadcast per probe).
"""

import time

import redis
from celery import current_app
from django.conf import settings
from django.db import connection

from .outbox import outbox_overview

_client = None


def _redis():
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _client


def _heartbeat_key() -> str:
    # One heartbeat per queue: the tests' workers never refresh the deployment's.
    return f"portal:{settings.CELERY_TASK_DEFAULT_QUEUE}:worker-heartbeat"


def worker_heartbeat_write() -> None:
    if settings.REDIS_URL:
        _redis().set(_heartbeat_key(), str(time.time()), ex=24 * 3600)


def worker_heartbeat_age() -> float | None:
    """Seconds since a worker last ran the relay; None if never (or not for a day)."""
    if not settings.REDIS_URL:
        return None
    value = _redis().get(_heartbeat_key())
    return None if value is None else max(0.0, time.time() - float(value))


def _check(fn) -> dict:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a probe reports every fault, it never raises
        return {"ok": False, "error": type(exc).__name__}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _redis_check() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "detail": "non configuré (tâches exécutées dans le processus web)"}
    _redis().ping()
    return {"ok": True}


def _worker() -> dict:
    if current_app.conf.task_always_eager:
        return {"ok": True, "detail": "tâches exécutées dans le processus web"}
    age = worker_heartbeat_age()
    ok = age is not None and age <= settings.HEALTH_HEARTBEAT_MAX_AGE_SECONDS
    return {"ok": ok, "heartbeat_age_seconds": None if age is None else round(age)}


def _outbox() -> dict:
    overview = outbox_overview()
    oldest = overview["oldest_waiting_seconds"]
    return {
        "ok": oldest is None or oldest <= settings.HEALTH_OUTBOX_MAX_AGE_SECONDS,
        "oldest_waiting_seconds": oldest,
        "failed": overview["counts"]["failed"],
    }


def readiness() -> dict:
    """Each check's result; ``ok`` only if every one is."""
    checks = {"database": _check(_database), "redis": _check(_redis_check)}
    checks["worker"] = _check(_worker) if checks["redis"]["ok"] else {"ok": False, "error": "redis"}
    checks["outbox"] = _check(_outbox) if checks["database"]["ok"] else {"ok": False, "error": "database"}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "fail", "checks": checks}
