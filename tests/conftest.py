"""Shared fixtures: the register's people and a real Celery worker on Redis."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories import InsuredFactory, StaffFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    from django.conf import settings as s

    if os.environ.get("CI") and s.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("En CI, les tests tournent sur PostgreSQL (DATABASE_URL).")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The cost of hashing is not what the tests are about (a PBKDF2 hash is 0.5 s on a CI core,
    and most tests make a user): MD5 first, PBKDF2 kept to check hashes made by the real worker.
    The tests of the hashing work itself (tests/accounts/test_uniform_hashing.py) set their own."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


@pytest.fixture
def insured(db):
    """An insured person with an account."""
    return UserFactory().insured


@pytest.fixture
def other_insured(db):
    return UserFactory().insured


@pytest.fixture
def insured_without_account(db):
    return InsuredFactory()


@pytest.fixture
def staff(db):
    from django.contrib.auth.models import Group

    from accounts.roles import CONSEILLER, roles_sync

    roles_sync()
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=CONSEILLER))
    return user


@pytest.fixture
def superviseur(db):
    """A staff member with the Superviseur role (username « sup »)."""
    from django.contrib.auth.models import Group

    from accounts.roles import SUPERVISEUR, roles_sync

    roles_sync()
    user = StaffFactory(username="sup")
    user.groups.add(Group.objects.get(name=SUPERVISEUR))
    return user


def wait_for(predicate, *, timeout=30.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"délai dépassé en attendant : {message}")


@pytest.fixture
def celery_worker(celery_worker_process):
    """Jobs of this test go through Redis to the real worker (not run in-process)."""
    from ameli_portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield celery_worker_process
    app.conf.task_always_eager = eager


def worker_database_url() -> str:
    """The test database's address, for a worker process that must share it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("le worker partage la base de test : PostgreSQL requis")
    url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    return url


@contextmanager
def running_celery_worker(*, redis_url: str, log: Path):
    """A real Celery worker process on ``redis_url`` (broker and cache), on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "ameli_portal.mailbox.DemoMailboxBackend",
        "CONN_MAX_AGE": "0",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ameli_portal",
                "worker",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--pool=prefork",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: b"ready." in log.read_bytes() or process.poll() is not None,
            timeout=60,
            message="démarrage du worker Celery",
        )
        if process.poll() is not None:
            pytest.fail(f"le worker Celery s'est arrêté :\n{log.read_text()[-3000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if os.environ.get("CI"):
            sys.stderr.write(f"\n--- worker log (fin) ---\n{log.read_text()[-2000:]}\n")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process consuming from Redis, on the test database."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL est requis pour les tests d'intégration avec un worker Celery.")
    from ameli_portal.celery import app

    worker_database_url()
    app.control.purge()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with running_celery_worker(redis_url=settings.REDIS_URL, log=log) as process:
        yield process
