"""Fault tests: the real stack with one of its parts stopped, then started again.

A private Redis (the cache and broker stopped and restarted), an SMTP server to stop, workers
to kill. Each test starts its own worker(s) on a Redis of its own (not the session's worker,
which must not take these jobs), with the retry schedule and leases compressed through the
worker's environment: the same code, on a shorter clock.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from ameli_portal.celery import app
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server that a test may stop and start again on the same port."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: self._answers(client), timeout=10, message="démarrage de redis-server")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server est requis pour les tests de panne (paquet redis-server).")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.stop()


def _reset_producer(app):
    # kombu keeps one producer pool per broker address: forgetting the app's cached
    # one makes the next publish use the address now configured.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def portal_on(redis_server, settings):
    """The portal's cache and Celery broker on the private Redis (jobs are not run in-process)."""
    from ameli_portal.celery import app

    if settings.CACHES["default"]["BACKEND"] != "ameli_portal.cache.RedisCache":
        pytest.fail("REDIS_URL est requis : les tests de panne coupent le cache Redis du portail.")
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis_server.url}}
    # Hashing is not what these tests are about: a million PBKDF2 rounds per login would
    # be most of their time on a busy machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    broker, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = redis_server.url, False
    _reset_producer(app)
    yield redis_server
    app.conf.broker_url, app.conf.task_always_eager = broker, eager
    _reset_producer(app)


def _reset_jobs_producer():
    # kombu keeps one producer pool per broker address (see tests/test_outbox.py).
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis():
    """A Redis of this test's own, as the broker of the test process and of its workers."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    wait_for(lambda: _pings(redis.Redis.from_url(url)), timeout=10, message="Redis privé")
    original, eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = url, False
    _reset_jobs_producer()
    try:
        yield url
    finally:
        app.conf.broker_url, app.conf.task_always_eager = original, eager
        _reset_jobs_producer()
        process.terminate()
        process.wait(10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False


class Worker:
    """A Celery worker process (prefork) in its own process group, to be killed as a whole."""

    def __init__(self, broker_url: str, log: Path, env: dict, concurrency: int = 1):
        db = settings.DATABASES["default"]
        url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
        if db.get("PASSWORD"):
            url = url.replace("@", f":{db['PASSWORD']}@", 1)
        full_env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_BACKEND", "EMAIL_URL")}
        full_env.update(
            {
                "DATABASE_URL": url,
                "REDIS_URL": broker_url,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "CONN_MAX_AGE": "0",
                **env,
            }
        )
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
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
                    f"--concurrency={concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    "-n",
                    f"fault-{log.stem}@%h",
                ],
                cwd=ROOT,
                env=full_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: b"ready." in log.read_bytes() or self.process.poll() is not None,
            timeout=90,
            message="démarrage du worker Celery",
        )
        if self.process.poll() is not None:
            pytest.fail(f"le worker Celery s'est arrêté :\n{log.read_text()[-3000:]}")

    def kill(self):
        """SIGKILL to the main process and its pool at once (an OOM kill, a pulled plug)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_worker(private_redis, tmp_path):
    workers = []

    def start(name: str, env: dict, concurrency: int = 1) -> Worker:
        worker = Worker(private_redis, tmp_path / f"{name}.log", env, concurrency)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


class Inbox:
    """What a real SMTP server received, recipient by recipient; some addresses answered 451."""

    def __init__(self):
        self.received: list[str] = []
        self.deferred: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.deferred:
            return "451 4.2.0 Boîte momentanément indisponible, réessayez plus tard"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def relay_until(predicate, *, timeout: float, message: str):
    """Wait for ``predicate``, running the outbox relay as beat would (here every 0.2 s)."""
    from ameli_portal.outbox import relay_pending

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        relay_pending(older_than_seconds=0)
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"délai dépassé en attendant : {message}")
