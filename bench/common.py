"""What every benchmark needs: Django on a throwaway test database, jobs in-process, a median.

``setup()`` configures Django (production-like: DEBUG off), then creates (or reuses, ``keepdb``) the test
database of the configured one (``test_<name>``) and migrates it; ``teardown()``
empties it (``flush``, which on PostgreSQL truncates, so the ledger's
no-delete trigger does not fire) unless asked to keep the data for a re-run.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ameli_portal.settings")


def setup(*, urlconf: str | None = None) -> str:
    """Configure Django on its test database; return that database's name."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from ameli_portal.celery import app

    # Not django.test.utils.setup_test_environment(): it instruments template rendering
    # (a signal with a copy of every context), which would be timed with the pages.
    settings.DEBUG = False  # as in production: no query log, no debug page
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True  # jobs (payment emails) run here, never on a broker
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    t0 = time.perf_counter()
    name = connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    log(f"base de test {name} ({connection.vendor}) prête en {time.perf_counter() - t0:.1f} s")
    return name


def teardown(*, keep: bool) -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite's test database lives in memory: nothing left behind
    if keep:
        log("données gardées pour la prochaine fois (--keep)")
        return
    call_command("flush", interactive=False, verbosity=0)
    log("base vidée")


def median_ms(fn: Callable[[], object], *, runs: int, warmup: int = 3) -> tuple[float, list[float]]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), times


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
