"""A developer's first hour (issue 16): the repository cloned to an empty folder, then the
README's cheap commands typed as written, in a shell that has none of the portal's variables.

tests/test_readme_commands.py checks that every command the documents show has a form that
works on a fresh clone; this runs some of them there for real: ``./run help`` (before any
virtualenv exists), ``./run manage check`` (the demo's settings: no SECRET_KEY, no
DATABASE_URL, no var/ folder yet), a bad value given to it, ``./run bench`` and a bench at
its smallest size on the PostgreSQL and Redis of the tests.

One thing is stood in for: ``./run`` would create ``.venv`` and install the dependencies with
pip, which needs the network and minutes. The clone's ``.venv`` is made by ``python -m venv``
and sees the packages of the interpreter running the tests (a ``.pth`` file), with the stamp
``./run`` leaves after an install; the portal's code is the clone's own (checked).

The clone is of the commit checked out, plus the uncommitted changes to tracked files (so
that the test speaks of the working tree a developer is testing).
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a newcomer's shell has: no DATABASE_URL, REDIS_URL, DEBUG, SECRET_KEY, DJANGO_*.
SHELL_VARIABLES = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR")


def git(*args, cwd=ROOT, **kwargs):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("pas de dépôt git ici : rien à cloner")
    where = tmp_path_factory.mktemp("premiere-heure") / "ameli_portal"
    git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(where))
    diff = git("diff", "HEAD", "--binary").stdout
    if diff:
        git("apply", "--whitespace=nowarn", "-", cwd=where, input=diff)
    return where


def shell(home: Path, **extra) -> dict:
    env = {name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ}
    return {**env, "HOME": str(home), "PYTHON": sys._base_executable, **extra}


def run(clone, *command, env, timeout=120):
    return subprocess.run(
        ["./run", *command], cwd=clone, env=env, capture_output=True, text=True, timeout=timeout
    )


def give_virtualenv(clone):
    """What ``./run``'s first install leaves: ``.venv`` with the dependencies, and its stamp."""
    subprocess.run(
        [sys._base_executable, "-m", "venv", "--without-pip", ".venv"], cwd=clone, check=True, timeout=60
    )
    python = clone / ".venv" / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "portal-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (clone / ".venv" / ".installed-dev").touch()


def test_the_first_hour_from_clone_to_bench(clone, tmp_path):
    env = shell(tmp_path)
    assert not (clone / ".venv").exists() and not (clone / "var").exists()

    # ./run help, straight after the clone: it lists the commands and needs nothing.
    out = run(clone, "help", env=env)
    assert out.returncode == 0, out.stderr
    for command in ("demo", "test", "manage", "bench", "worker"):
        assert f"./run {command}" in out.stdout
    out = run(clone, "bench", env=env)
    assert out.returncode == 0 and "payments_page" in out.stderr, out.stderr

    give_virtualenv(clone)

    # ./run manage check: the demo's settings, nothing to set first.
    out = run(clone, "manage", "check", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout
    out = run(clone, "manage", "shell", "-c", "import accounts; print(accounts.__file__)", env=env)
    assert out.stdout.strip().splitlines()[-1] == str(clone / "accounts" / "__init__.py"), out.stdout

    # A typo in a variable: one line that names it, no traceback.
    out = run(clone, "manage", "check", env={**env, "DEBUG": "peut-etre"})
    assert out.returncode != 0
    message = out.stderr.strip()
    assert message.count("\n") == 0 and "DEBUG" in message and "Traceback" not in message, message

    # The smallest bench, on the tests' servers (those of `./run test`; a database of its own).
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        pytest.skip("le banc demande le PostgreSQL des tests (lancez la suite par ./run test)")
    parts = urlsplit(database)  # a database of its own, next to the tests' one
    bench_env = {
        **env,
        "TEST_DATABASE_URL": database,
        "TEST_REDIS_URL": os.environ["REDIS_URL"],
        "BENCH_DATABASE_URL": urlunsplit(parts._replace(path=f"{parts.path}_first_hour")),
    }
    out = run(clone, "bench", "payments_page", "--lines", "20", "--runs", "1", env=bench_env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "20 lignes de soins" in out.stdout, out.stdout
    for page in ("page nue (base.html)", "Mes paiements", "export CSV"):
        assert any(line.startswith(page) and "médiane" in line for line in out.stdout.splitlines()), (
            out.stdout
        )
    assert "Traceback" not in out.stderr, out.stderr
