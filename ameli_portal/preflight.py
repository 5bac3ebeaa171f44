"""Check that the services the settings name can be reached, in one line each."""

import warnings
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections
from django.db.utils import OperationalError

from ameli_portal.settings_env import SettingsEnv


def shown(name: str) -> str:
    """The variable the person set for ``name`` (./run test: TEST_DATABASE_URL, TEST_REDIS_URL)."""
    return SettingsEnv().shown(name)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or ''}".rstrip(":")


def check_database(*, server_only: bool = False) -> str | None:
    """``server_only``: the tests create their own database, so only the server must answer."""
    db = settings.DATABASES["default"]
    try:
        if server_only:
            # Django warns (RuntimeWarning, 3 lines) before falling back from the "postgres"
            # database it could not reach: the one line below says it all.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                with connections["default"]._nodb_cursor() as cursor:
                    cursor.execute("SELECT 1")
        else:
            connections["default"].ensure_connection()
    except OperationalError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        return (
            f"{shown('DATABASE_URL')} : PostgreSQL injoignable à {where} ({first}). Démarrez-le "
            "(pg_ctlcluster 15 main start, ou « docker compose up -d db »)."
        )
    return None


def check_redis() -> str | None:
    if not settings.REDIS_URL:
        return f"{shown('REDIS_URL')} n'est pas défini : Redis est requis ici."
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        return (
            f"{shown('REDIS_URL')} : Redis injoignable à {_where(settings.REDIS_URL)} ({exc}). Démarrez-le "
            "(redis-server, ou « docker compose up -d redis »)."
        )
    return None
