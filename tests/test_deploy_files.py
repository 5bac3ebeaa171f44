"""The deployment files, checked offline (no Docker engine): compose, Dockerfile, packages.

The compose file is validated against the compose specification, then read for what
the schema cannot know: the services share one image, the worker consumes the queue
the settings publish to, and the settings accept the compose environment.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from fnmatch import fnmatch
from importlib.util import find_spec
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SYSTEM_PACKAGES = ROOT / ".ci" / "system-packages.txt"
CI_RUN = ROOT / ".ci" / "run"
APP_SERVICES = ("web", "worker", "beat")


# --- Readers ----------------------------------------------------------------------


def load_compose() -> dict:
    return YAML(typ="safe", pure=True).load(COMPOSE.read_text(encoding="utf-8"))


def interpolate(value: str) -> str:
    """Compose interpolation with the file's own defaults only (the host env is ignored)."""

    def repl(match):
        if match.group(0) == "$$":
            return "$"
        return match.group("default") or ""

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}", repl, value)


def service_env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: interpolate("" if v is None else str(v)) for k, v in env.items()}


def command_args(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: continuations joined, comment lines dropped."""
    instructions, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        current = ""
    return instructions


def dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, args in dockerfile_instructions():
        if keyword == "ENV":
            for token in shlex.split(args):
                name, sep, value = token.partition("=")
                if sep:
                    env[name] = value
    return env


def system_packages() -> list[str]:
    packages = []
    for line in SYSTEM_PACKAGES.read_text(encoding="utf-8").splitlines():
        packages += line.split("#", 1)[0].split()
    return packages


def settings_under(env: dict[str, str]) -> dict:
    """Import the settings in a fresh interpreter with exactly ``env`` (plus PATH)."""
    script = (
        "import json; from ameli_portal import settings as s; print(json.dumps({"
        "k: getattr(s, k, None) for k in ("
        "'DEBUG', 'DEMO_MODE', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
        " 'SECURE_SSL_REDIRECT', 'ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS', 'SITE_URL',"
        " 'CELERY_TASK_DEFAULT_QUEUE', 'CELERY_TASK_ALWAYS_EAGER', 'EMAIL_BACKEND',"
        " 'EMAIL_HOST', 'EMAIL_PORT', 'STATIC_ROOT', 'MEDIA_ROOT', 'VAR_DIR')}"
        " | {'DB_ENGINE': s.DATABASES['default']['ENGINE']}, default=str))"
    )
    clean = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- (1) The compose file is valid ------------------------------------------------


def test_compose_file_validates_against_the_compose_spec():
    binary = Path(sys.executable).parent / "check-jsonschema"
    assert binary.exists(), f"check-jsonschema absent de {binary.parent} (extra « dev »)"
    result = subprocess.run(
        [str(binary), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "version" not in load_compose(), "`version:` is obsolete in the compose spec"


# --- (2) The services ----------------------------------------------------------------


def test_compose_has_the_whole_stack():
    services = load_compose()["services"]
    assert set(services) >= {"db", "redis", "mailpit", *APP_SERVICES}


def _build_of(service: dict) -> tuple[Path, str]:
    build = service.get("build")
    assert build, "no build: the service would run some other image"
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, build.get("dockerfile", "Dockerfile")


def test_app_services_are_built_from_this_dockerfile():
    services = load_compose()["services"]
    builds = {name: _build_of(services[name]) for name in APP_SERVICES}
    assert len(set(builds.values())) == 1, builds
    context, dockerfile = builds["web"]
    assert (context / dockerfile).resolve() == DOCKERFILE.resolve()
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1, f"one image for web, worker and beat, not {images}"


def test_app_services_share_the_private_data_volume():
    compose = load_compose()
    var_dir = dockerfile_env()["PORTAL_VAR_DIR"]
    for name in APP_SERVICES:
        service = compose["services"][name]
        volumes = [str(v) for v in service.get("volumes", [])]
        assert f"portal-data:{var_dir}" in volumes, (name, volumes)
        assert service_env(service).get("PORTAL_VAR_DIR", var_dir) == var_dir
    assert "portal-data" in compose["volumes"]


def test_ports_are_published_on_localhost_only():
    for name, service in load_compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_worker_consumes_the_queue_the_settings_publish_to():
    services = load_compose()["services"]
    worker = command_args(services["worker"])
    assert worker[:4] == ["celery", "-A", "ameli_portal", "worker"], worker
    assert find_spec("ameli_portal.celery") is not None
    queues = worker[worker.index("-Q") + 1].split(",")
    # The default the settings give when CELERY_QUEUE is not set...
    published = settings_under({"DEBUG": "1"})["CELERY_TASK_DEFAULT_QUEUE"]
    assert published == "portal"
    # ...and the queue the web container actually publishes to under compose.
    web = settings_under({**dockerfile_env(), **service_env(services["web"])})
    assert web["CELERY_TASK_DEFAULT_QUEUE"] in queues, (queues, web)
    assert web["CELERY_TASK_ALWAYS_EAGER"] is False


def test_beat_keeps_its_schedule_in_the_volume():
    beat = command_args(load_compose()["services"]["beat"])
    assert beat[:4] == ["celery", "-A", "ameli_portal", "beat"], beat
    schedule = beat[beat.index("--schedule") + 1]
    assert schedule.startswith(dockerfile_env()["PORTAL_VAR_DIR"] + "/")


def test_settings_accept_the_compose_environment_over_plain_http():
    """DEBUG=0 on http://127.0.0.1: no HTTPS redirect and no Secure cookie, or no login."""
    services = load_compose()["services"]
    image_env = dockerfile_env()
    for name in APP_SERVICES:
        s = settings_under({**image_env, **service_env(services[name])})
        assert s["DEBUG"] is False and s["DEMO_MODE"] is False, name
        assert s["SECURE_SSL_REDIRECT"] is False, name
        assert s["SESSION_COOKIE_SECURE"] is False and s["CSRF_COOKIE_SECURE"] is False, name
        assert s["DB_ENGINE"] == "django.db.backends.postgresql", name
        assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend", name
        assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("mailpit", 1025), name
        assert {"127.0.0.1", "localhost"} <= set(s["ALLOWED_HOSTS"]), name
        assert s["SITE_URL"] in s["CSRF_TRUSTED_ORIGINS"], name
        assert Path(s["MEDIA_ROOT"]).is_relative_to(image_env["PORTAL_VAR_DIR"]), name
        # Static files belong to the image: in the volume, a rebuild would keep the
        # previous manifest and every new asset would 500.
        assert not Path(s["STATIC_ROOT"]).is_relative_to(image_env["PORTAL_VAR_DIR"]), (
            "STATIC_ROOT must follow the STATIC_ROOT variable the Dockerfile sets"
        )
    published = {str(p).rsplit(":", 2)[-2] for p in services["web"]["ports"]}
    assert s["SITE_URL"].rsplit(":", 1)[-1].rstrip("/") in published


def test_web_migrates_before_serving():
    web = load_compose()["services"]["web"]
    args = command_args(web)
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    if args == ["web"]:
        script = entrypoint.split("web)", 1)[1].split(";;", 1)[0]
    else:
        script = " ".join(args)
    assert "migrate --noinput" in script and "gunicorn" in script
    assert script.index("migrate") < script.index("gunicorn")
    # The DEBUG=0 web never seeds the demo's published passwords (seed_demo would refuse).
    assert "seed_demo" not in script and "SEED_DEMO" not in service_env(web)


# --- (3) One list of system packages ----------------------------------------------


def test_system_packages_are_installed_from_the_shared_list():
    packages = system_packages()
    assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= set(packages)
    assert any(p.startswith("fonts-") for p in packages)
    for package in packages:
        assert re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", package), package
    instructions = dockerfile_instructions()
    copies = [args.split() for kw, args in instructions if kw == "COPY"]
    dests = [c[-1] for c in copies if ".ci/system-packages.txt" in c[:-1]]
    assert dests, "the Dockerfile must COPY .ci/system-packages.txt"
    runs = [args for kw, args in instructions if kw == "RUN"]
    installs = [r for r in runs if any(d in r for d in dests) and "apt-get install" in r]
    assert installs, "no RUN installs the packages from the copied list"
    # Nothing installed beside the list: it stays the only one.
    for run in runs:
        for tail in re.findall(r"apt-get install ([^&|;]*)", run):
            extra = [t for t in tail.split() if not t.startswith("-")]
            assert not extra, f"package(s) {extra} outside .ci/system-packages.txt"
    assert not any("chromium" in args for kw, args in instructions), "no browser in the image"


def test_dockerignore_keeps_the_list_and_drops_local_data():
    patterns = [
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (".ci", ".ci/system-packages.txt", "docker/entrypoint.sh", "pyproject.toml"):
        assert not any(fnmatch(path, p) for p in patterns if not p.startswith("!")), path
    for private in (".venv", "var", ".git"):
        assert private in patterns, private


def test_ci_installs_the_same_system_packages():
    if not CI_RUN.exists():
        pytest.skip(".ci/run n'existe pas encore : il doit lire .ci/system-packages.txt")
    assert "system-packages.txt" in CI_RUN.read_text(encoding="utf-8")


# --- (4) The Dockerfile ------------------------------------------------------------


def test_dockerfile_runs_gunicorn_as_a_non_root_user():
    instructions = dockerfile_instructions()
    keywords = [kw for kw, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim-bookworm")
    users = [args for kw, args in instructions if kw == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    cmd = [args for kw, args in instructions if kw == "CMD"]
    assert len(cmd) == 1
    cmd = json.loads(cmd[0])  # exec form, so signals reach gunicorn
    assert cmd[0] == "gunicorn", cmd
    assert find_spec(cmd[1].split(":")[0]) is not None, cmd[1]
    assert "0.0.0.0:8000" in cmd
    assert ("EXPOSE", "8000") in instructions
    assert "HEALTHCHECK" in keywords
    entrypoint = [json.loads(args) for kw, args in instructions if kw == "ENTRYPOINT"]
    for script, *_ in entrypoint:
        local = ROOT / Path(script).relative_to("/app")
        assert local.exists() and os.access(local, os.X_OK), local


def test_dockerfile_collects_static_with_a_build_only_key():
    instructions = dockerfile_instructions()
    runs = [args for kw, args in instructions if kw == "RUN"]
    collect = [r for r in runs if "collectstatic --noinput" in r]
    assert collect and "SECRET_KEY=" in collect[0] and "DEBUG=0" in collect[0]
    # A VOLUME declared before the build writes into it would discard them.
    volume = [n for n, (kw, _) in enumerate(instructions) if kw == "VOLUME"]
    last_run = max(n for n, (kw, _) in enumerate(instructions) if kw == "RUN")
    assert volume and min(volume) > last_run
    assert any(re.search(r"pip install [^&;|]*\s\.(\s|$)", r) for r in runs), (
        "pip install . from pyproject.toml"
    )


# --- ./run test against `docker compose up -d db redis` ------------------------------------


def run_default(name: str) -> str:
    """A default of the ./run script (DEFAULT_TEST_DATABASE_URL=...)."""
    found = re.findall(rf"^{name}=(\S+)$", (ROOT / "run").read_text(encoding="utf-8"), re.M)
    assert len(found) == 1, f"./run must set {name} once"
    return found[0]


def published(service: dict, container_port: int) -> tuple[str, int]:
    """(host address, host port) where compose publishes ``container_port`` of ``service``."""
    for port in service.get("ports", []):
        host, host_port, inner = str(port).rsplit(":", 2)
        if int(inner.split("/")[0]) == container_port:
            return host, int(host_port)
    raise AssertionError(f"port {container_port} not published")


def test_run_test_reaches_compose_postgres_with_its_user_and_password():
    from urllib.parse import urlsplit

    db = load_compose()["services"]["db"]
    env = service_env(db)
    url = urlsplit(run_default("DEFAULT_TEST_DATABASE_URL"))
    assert (url.hostname, url.port) == published(db, 5432)
    assert url.username == env.get("POSTGRES_USER", "postgres")
    if env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
        assert url.password == env["POSTGRES_PASSWORD"], "./run test would be refused by compose's db"
    # The portal's own services reach the same database with the same password.
    app = urlsplit(service_env(load_compose()["services"]["web"])["DATABASE_URL"])
    assert (app.username, app.password) == (url.username, env["POSTGRES_PASSWORD"])


def test_run_test_reaches_compose_redis():
    from urllib.parse import urlsplit

    redis = load_compose()["services"]["redis"]
    url = urlsplit(run_default("DEFAULT_TEST_REDIS_URL"))
    assert (url.hostname, url.port) == published(redis, 6379)
    assert "requirepass" not in " ".join(command_args(redis)) or url.password


def test_the_package_metadata_builds_without_setuptools_warnings():
    """The licence as an SPDX string (a TOML table is deprecated: 14 lines of warning, three
    times, at every first install) and the packages at the root as a plain .pth (the meta path
    finder of a flat layout prints its own warning)."""
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "AGPL-3.0-or-later"
    assert any(
        re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in pyproject["build-system"]["requires"]
    )
    assert pyproject["tool"]["setuptools"]["package-dir"] == {"": "."}
