"""The portal over HTTP under load: gunicorn with the production settings, wrk, 50 sessions.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ameli_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -W ignore -m bench.http [--seconds 30] [--rounds 2] [--lines 2000,20000] \\
        [--smoke] [--keep]

Starts gunicorn (3 sync workers, ``DEBUG=0``, the compose file's environment, the benches'
URLs of ``bench.urls`` through ``bench.settings``) on 127.0.0.1 against the bench's test
database, then runs ``wrk`` (2 threads, 50 connections) on each URL in turn, round after
round (so that a burst of load from another process hits them alike), each request of a
URL with the next of 50 distinct signed-in sessions (``bench/http.lua``). Prints, per URL,
requests per second, p50 and p99 latency and errors (answers other than 200, socket errors,
timeouts), and the ratios of the goals, « Mes paiements » warm and cold for each person of
``--lines`` (2,000 and 20,000 lines of history by default). Nothing is asserted.
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench import common

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("http.lua")
SESSIONS = 50
OTHERS = "banc.http.{}@exemple.test"
ANON, HELLO, BARE, HOME, DOC = (
    "bonjour, anonyme",
    "bonjour, connecté",
    "page nue (base.html)",
    "tableau de bord",
    "document (téléchargement)",
)


def pay(lines: int) -> str:
    return f"Mes paiements, {lines} lignes"


def pay_cold(lines: int) -> str:
    return f"Mes paiements à froid, {lines} lignes"


def _people(sizes: list[int]):
    """The people of bench.payments_page with these numbers of care lines (as it makes them),
    and SESSIONS - 1 others."""
    from accounts.models import Insured, User
    from bench import payments_page
    from reimbursements.models import Settlement
    from tests.factories import InsuredFactory, UserFactory

    found = {n: User.objects.filter(email=payments_page.email_for(n)).first() for n in sizes}
    have = {n: Settlement.objects.filter(insured__user=u).count() if u else 0 for n, u in found.items()}
    if any(have[n] != n for n in sizes):
        if any(found.values()):
            common.teardown(keep=False)
        for n in sizes:
            common.log(f"création de {n} lignes de soins (liquidées et payées chaque vendredi)…")
            payments_page.make_data(n)
        found = {n: User.objects.get(email=payments_page.email_for(n)) for n in sizes}
    # Kept data (--keep, or bench.payments_page's) made by another process: the factories'
    # sequences (NIRs, names) start again at 0 in this one and would meet its people.
    InsuredFactory.reset_sequence(Insured.objects.count() + 1)
    others = []
    for i in range(SESSIONS - 1):
        email = OTHERS.format(i)
        others.append(
            User.objects.filter(email=email).first() or UserFactory(email=email, insured__email=email)
        )
    return found, others


def _documents(users) -> dict:
    """A ready attestation de droits for each, rendered now (the files live in this run's folder)."""
    from django.utils import timezone

    from attestations.models import Document
    from attestations.services import document_request

    Document.objects.filter(owner__user__in=users).update(revoked_at=timezone.now())
    paths = {}
    for user in users:
        document = document_request(insured=user.insured, kind=Document.Kind.RIGHTS)
        document.refresh_from_db()
        if document.status == Document.Status.READY:
            paths[user.pk] = f"/attestations/{document.public_id}/telecharger/"
    return paths


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(tmp: Path, secret: str, old_sessions: bool) -> dict:
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in ("DEMO_MODE", "EMAIL_URL")}
    env.update(
        {  # as docker-compose.yml's x-portal-env (plain http on 127.0.0.1)
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECRET_KEY": secret,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "COOKIE_SECURE": "0",
            "DATABASE_URL": url,
            "STATIC_ROOT": str(tmp / "static"),
            "PORTAL_VAR_DIR": str(tmp / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "BENCH_OLD_SESSIONS": "1" if old_sessions else "0",
        }
    )
    return env


def _start_gunicorn(env: dict, port: int, workers: int, tmp: Path) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = open(tmp / "gunicorn.log", "wb")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ameli_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            str(tmp / "access.log"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn n'a pas démarré :\n" + (tmp / "gunicorn.log").read_text()[-3000:])


def _check(port: int, path: str, cookie: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wrk(port: int, lines_file: Path, seconds: int, connections: int) -> dict:
    """One wrk run on one URL's lines (path, cookie); its figures, requests per second added."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{port}/",
            "--",
            str(lines_file),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["requests"]:
        log = lines_file.with_name("access.log")
        raise SystemExit(
            f"wrk n'a fait aucune requête :\n{out.stdout}\n{out.stderr}\n"
            f"{log.read_text()[-3000:] if log.exists() else ''}"
        )
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    _drain(lines_file.with_name("access.log"))
    return result


def _drain(access_log: Path) -> None:
    """Wait until gunicorn has answered the requests wrk left behind: the workers go on with the
    requests already queued on connections wrk has closed, which the next run would wait for."""
    size, deadline = -1, time.monotonic() + 60
    while time.monotonic() < deadline:
        now = access_log.stat().st_size if access_log.exists() else 0
        if now == size:
            return
        size = now
        time.sleep(0.5)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"charge {one:.1f} (1 min), {five:.1f} (5 min) sur {os.cpu_count()} cœurs"


def _report(results: dict, sizes: list[int]) -> None:
    for label, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50_us"] for r in runs) / 1000
        p99 = statistics.median(r["p99_us"] for r in runs) / 1000
        errors = sum(r["not_200"] + r["socket_errors"] + r["timeouts"] for r in runs)
        each = " / ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"{label:34} {rps:8.0f} req/s ({each})  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  erreurs {errors}")
    ratios_asked = [("bonjour connecté / bonjour anonyme", HELLO, ANON, 0.5)]
    for n in sizes:
        ratios_asked += [
            (f"{pay_cold(n)} / page nue", pay_cold(n), BARE, 0.5),
            (f"{pay(n)} / page nue", pay(n), BARE, None),
        ]
    for label, num, den, goal in ratios_asked:
        if num in results and den in results:
            ratios = [a["rps"] / b["rps"] for a, b in zip(results[num], results[den], strict=True)]
            ratio = statistics.median(ratios)
            verdict = (
                ""
                if goal is None
                else (f" (objectif >= {goal:.0%} : {'atteint' if ratio >= goal else 'MANQUÉ'})")
            )
            print(f"ratio {label} : {ratio:.0%} par tour : {' / '.join(f'{r:.0%}' for r in ratios)}{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="durée de wrk par URL et par tour")
    parser.add_argument("--rounds", type=int, default=2, help="tours (les URL l'une après l'autre)")
    parser.add_argument(
        "--lines",
        default="2000,20000",
        help="lignes de soins de chaque personne de « Mes paiements » (virgules)",
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--connections", type=int, default=SESSIONS)
    parser.add_argument("--smoke", action="store_true", help="essai rapide : 3 s par URL, un tour")
    parser.add_argument("--keep", action="store_true", help="garder les données pour la prochaine fois")
    parser.add_argument(
        "--old-sessions",
        action="store_true",
        help="les sessions d'avant : sauvées à chaque requête, avec le suivi d'allauth",
    )
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.rounds = 3, 1
    if not shutil.which("wrk"):
        raise SystemExit("wrk est introuvable (paquet Debian « wrk »)")
    tmp = Path(tempfile.mkdtemp(prefix="banc-http-"))
    secret = secrets.token_urlsafe(50)
    os.environ["PORTAL_VAR_DIR"] = str(tmp / "var")  # documents rendered here, read by gunicorn
    server = None
    try:
        common.setup(urlconf="bench.urls")
        from django.conf import settings
        from django.db import connection
        from django.urls import reverse

        settings.SECRET_KEY = secret  # the sessions made here are the server's
        if connection.vendor != "postgresql":
            raise SystemExit("banc HTTP : PostgreSQL seulement (DATABASE_URL)")
        sizes = [int(n) for n in str(args.lines).split(",")]
        people, others = _people(sizes)
        person = people[sizes[0]]
        everyone = [person, *others]
        documents = _documents(everyone)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        cookies = {user.pk: _session_cookie(user) for user in everyone}
        own = {
            n: [_session_cookie(p) for _ in range(SESSIONS)]  # each person's 50 devices
            for n, p in people.items()
        }
        urls = {
            ANON: [("/banc/bonjour-anonyme/", "")],
            HELLO: [("/banc/bonjour/", cookies[u.pk]) for u in everyone],
            BARE: [(reverse("bench_bare"), cookies[u.pk]) for u in everyone],
            HOME: [(reverse("accounts:home"), cookies[u.pk]) for u in everyone],
            **{
                label: entries
                for n in sizes
                for label, entries in (
                    (pay(n), [(reverse("reimbursements:payments"), c) for c in own[n]]),
                    (pay_cold(n), [(reverse("bench_payments_cold"), c) for c in own[n]]),
                )
            },
            DOC: [(documents[u.pk], cookies[u.pk]) for u in everyone if u.pk in documents],
        }
        connection.close()
        files = {}
        for label, entries in urls.items():
            files[label] = tmp / f"{len(files)}.txt"
            files[label].write_text("".join(f"{path}\t{cookie}\n" for path, cookie in entries))
        port = _free_port()
        server = _start_gunicorn(_server_env(tmp, secret, args.old_sessions), port, args.workers, tmp)
        for label, entries in urls.items():
            status = _check(port, *entries[0])
            if status != 200:
                raise SystemExit(f"{label} : réponse {status} au lieu de 200 : rien de mesuré")
        print(
            f"gunicorn {args.workers} workers, wrk 2 threads, {args.connections} connexions, "
            f"{SESSIONS} sessions distinctes, {args.seconds} s par URL, {args.rounds} tours, "
            f"« Mes paiements » à {' et '.join(map(str, sizes))} lignes, {len(documents)} documents"
            f"{', sessions d’avant (--old-sessions)' if args.old_sessions else ''} ; {_load()}"
        )
        for label in urls:  # warm-up: every worker, every session's first request (a renewal)
            _wrk(port, files[label], 3, args.connections)
        results = {label: [] for label in urls}
        for _ in range(args.rounds):
            for label in urls:
                results[label].append(_wrk(port, files[label], args.seconds, args.connections))
        _report(results, sizes)
        print(f"à la fin : {_load()}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    common.teardown(keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
