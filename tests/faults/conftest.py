"""Fault tests: the real stack with one of its parts stopped, then started again."""

import shutil
import socket
import subprocess

import pytest
import redis

from tests.conftest import wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server that a test may stop and start again on the same port."""

    def __init__(self, workdir):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
