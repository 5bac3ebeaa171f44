"""The README's run command: SQLite, in-process jobs, demo data, pages answer."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode()


def test_embedded_default_starts_with_demo_data_and_a_mailbox(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "EMAIL_URL",
            "EMAIL_BACKEND",
            "CELERY_TASK_ALWAYS_EAGER",
            "CELERY_QUEUE",
        )
    }
    env.update(DEBUG="1", PORTAL_VAR_DIR=str(tmp_path))

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )

    manage("migrate", "--noinput", "-v", "0")
    seeded = manage("seed_demo").stdout
    assert "Identifiants de démonstration" in seeded and "conseiller" in seeded
    assert (tmp_path / "db.sqlite3").exists()
    manage("send_test_email", "nouveau@exemple.test")  # runs in-process (eager)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, home = get(base + "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        assert status == 200 and "démonstration" in home
        for path in ("/aide/", "/glossaire/", "/contact/", "/compte/login/"):
            assert get(base + path)[0] == 200
        status, mailbox = get(base + "/demo/boite-aux-lettres/")
        assert status == 200 and "courriel de test" in mailbox
    finally:
        server.terminate()
        server.wait(timeout=10)
