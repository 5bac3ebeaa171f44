"""Every variable the settings read, given a bad value, stops ``manage.py check`` with one
French line naming it and the expected form (tests generated from settings.py's own reads).

The reads are found in settings.py's source (every ``env.<kind>("NAME", ...)`` call, so that
a read behind an ``if`` is found too) and checked against what the running settings read. Each
kind that can be wrong has a bad value below: a new kind without one fails the test.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from ameli_portal import settings as settings_module
from ameli_portal.checks import attachment_scanner_check
from ameli_portal.settings_env import SettingsEnv

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PY = ROOT / "ameli_portal" / "settings.py"

# A value of the right shape for nothing: what a person might type by mistake.
BAD_VALUES = {
    "bool": "peut-etre",
    "int": "douze",
    "float": "vite",
    "db_url": "mysql://portail@127.0.0.1/portail",
    "email_url": "pop3://127.0.0.1",
    "redis_url": "http://127.0.0.1:6379/0",
    "http_url": "portail.example",
    "origins": "portail.example",
    "choice": "bavard",
}
# Kinds where any text is a value (names, addresses, paths, dotted paths checked by a system check).
FREE_TEXT = {"str", "list"}

# Production-like (DEBUG off, every service named) so that the reads behind an `if` happen.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
    "ALLOWED_HOSTS": "portail.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ameli_portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp://127.0.0.1:1025",
}


def settings_reads() -> dict[str, set[str]]:
    """NAME -> kinds of the ``env.<kind>("NAME", ...)`` calls in settings.py."""
    reads = {}
    for node in ast.walk(ast.parse(SETTINGS_PY.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        if (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
        ):
            kind = node.func.attr
        elif isinstance(node.func, ast.Name) and node.func.id == "env":  # env("X", cast=int)
            cast = [k.value for k in node.keywords if k.arg == "cast"] or node.args[1:2]
            kind = cast[0].id if cast and isinstance(cast[0], ast.Name) else "str"
        else:
            continue
        first = node.args[0] if node.args else None
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
            f"settings.py ligne {node.lineno} : env.{kind}() sans nom de variable littéral"
        )
        reads.setdefault(first.value, set()).add(kind)
    return reads


READS = settings_reads()
# One bad value per variable, of its strictest kind (EMAIL_URL is read as text, then as a URL).
CHECKED = sorted((name, min(kinds - FREE_TEXT)) for name, kinds in READS.items() if kinds - FREE_TEXT)


def manage_check(env: dict, tmp_path) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PORTAL_VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_source_finds_every_variable_the_running_settings_read():
    assert len(READS) > 40, READS
    assert set(settings_module.env.reads) <= set(READS), set(settings_module.env.reads) - set(READS)
    assert all(kind in READS[name] for name, kind in settings_module.env.reads.items())


def test_every_kind_of_variable_has_a_bad_value_here():
    unknown = {
        kind for kinds in READS.values() for kind in kinds if kind not in BAD_VALUES and kind not in FREE_TEXT
    }
    assert not unknown, f"donnez une valeur invalide pour {unknown} dans BAD_VALUES"


def test_the_production_env_itself_is_accepted(tmp_path):
    result = manage_check(PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("name", "kind"), CHECKED, ids=[name for name, _ in CHECKED])
def test_a_bad_value_is_one_french_line_naming_the_variable(tmp_path, name, kind):
    result = manage_check({**PRODUCTION_ENV, name: BAD_VALUES[kind]}, tmp_path)
    assert result.returncode != 0, f"{name}={BAD_VALUES[kind]} accepté"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"Configuration invalide : {name} : "), line
    assert "attendu" in line, line  # the expected form, in French
    if kind not in ("db_url", "email_url", "redis_url"):
        assert BAD_VALUES[kind] in line  # the value typed, except URLs (they may hold a password)


def test_a_url_with_a_password_is_never_repeated(tmp_path):
    result = manage_check({**PRODUCTION_ENV, "DATABASE_URL": "mysql://u:s3cr3t-pw@h/db"}, tmp_path)
    assert result.returncode != 0
    assert "s3cr3t-pw" not in result.stderr and "DATABASE_URL" in result.stderr


def test_a_launcher_names_the_variable_the_person_set(tmp_path):
    result = manage_check(
        {
            **PRODUCTION_ENV,
            "DATABASE_URL": "postgres://h:port/x",
            "PORTAL_ENV_NAMES": "DATABASE_URL=TEST_DATABASE_URL",
        },
        tmp_path,
    )
    assert result.stderr.startswith("Configuration invalide : TEST_DATABASE_URL : "), result.stderr


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        ("Oui", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("non", False),
        ("off", False),
        ("", None),
        ("  ", None),
    ],
)
def test_booleans_read_as_people_write_them(raw, value):
    assert SettingsEnv({"X": raw}).bool("X", default=None) is value


def test_the_django_environ_call_form_is_typed_too():
    env = SettingsEnv({"N": "douze", "M": "12"})
    assert env("M", cast=int, default=1) == 12 and env.reads["M"] == "int"
    with pytest.raises(ImproperlyConfigured, match="^N : « douze » n'est pas un nombre entier"):
        env("N", cast=int, default=1)


def test_a_scanner_that_does_not_import_fails_the_check(settings):
    settings.ATTACHMENT_SCANNER = "antivirus_absent.scanner"
    errors = attachment_scanner_check()
    assert [e.id for e in errors] == ["ameli_portal.E001"]
    assert isinstance(errors[0], Error) and "ATTACHMENT_SCANNER" in errors[0].msg
    with pytest.raises(SystemCheckError, match="ATTACHMENT_SCANNER"):
        call_command("check")


def test_a_scanner_that_is_not_a_function_fails_the_check(settings):
    settings.ATTACHMENT_SCANNER = "os.sep"
    assert [e.id for e in attachment_scanner_check()] == ["ameli_portal.E002"]


def test_a_real_scanner_passes_the_check(settings):
    settings.ATTACHMENT_SCANNER = "tests.requests_app.test_uploads.refuse_everything"
    assert attachment_scanner_check() == []
    settings.ATTACHMENT_SCANNER = None
    assert attachment_scanner_check() == []


@pytest.mark.parametrize(
    ("variable", "value", "start"),
    [
        (
            "TEST_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/ameli_portal",
            "TEST_DATABASE_URL : PostgreSQL injoignable à 127.0.0.1:1",
        ),
        ("TEST_REDIS_URL", "redis://127.0.0.1:1/0", "TEST_REDIS_URL : Redis injoignable à 127.0.0.1:1"),
        ("TEST_DATABASE_URL", "mysql://x@127.0.0.1/y", "Configuration invalide : TEST_DATABASE_URL : "),
    ],
)
def test_run_test_names_the_variable_the_person_set(variable, value, start):
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "TEST_REDIS_URL")}
    result = subprocess.run(
        ["./run", "test", "--collect-only", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, variable: value},
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].removeprefix("CommandError: ").startswith(start), lines[0]


def test_a_celery_worker_started_with_a_bad_value_says_one_line(tmp_path):
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PORTAL_VAR_DIR": str(tmp_path),
        **PRODUCTION_ENV,
        "JOB_MAX_ATTEMPTS": "douze",
    }
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "ameli_portal", "worker"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.strip().startswith("Configuration invalide : JOB_MAX_ATTEMPTS : "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
