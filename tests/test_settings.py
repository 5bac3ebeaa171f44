"""Configuration errors read as one line naming the setting; production is safe."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLEAN_KEYS = (
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "EMAIL_BACKEND",
    "DEBUG",
    "SECRET_KEY",
    "DEMO_MODE",
    "ALLOWED_HOSTS",
    "CELERY_TASK_ALWAYS_EAGER",
    "PORTAL_ENV_NAMES",
)


def manage(*args, tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}
    base.update({"PORTAL_VAR_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL"),
    ],
)
def test_bad_service_url_is_one_line_naming_the_setting(tmp_path, env, setting):
    result = manage("preflight", tmp_path=tmp_path, DEBUG="1", **env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_database_on_migrate_is_one_line(tmp_path):
    result = manage(
        "migrate", tmp_path=tmp_path, DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("DATABASE_URL")


def test_production_requires_a_secret_key(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_demo_mode_is_refused_in_production(tmp_path):
    result = manage(
        "check",
        tmp_path=tmp_path,
        DEBUG="0",
        DEMO_MODE="1",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="portail.example",
    )
    assert result.returncode != 0
    assert "DEMO_MODE" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DEBUG="0",
        SECRET_KEY="k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
        ALLOWED_HOSTS="portail.example",
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
    )
    assert result.returncode == 0, result.stdout + result.stderr
