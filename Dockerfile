# syntax=docker/dockerfile:1
# Portal image: gunicorn (default), Celery worker and beat all run from it.
# Browser tests never run in the image: no Chromium here.
FROM python:3.11-slim-bookworm

# Templates and static/ are found from the source tree (settings.BASE_DIR): PYTHONPATH
# makes the code in /app win over the copy pip installs in site-packages.
# STATIC_ROOT lives in the image, not in the data volume, which would keep a stale
# manifest across rebuilds.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=ameli_portal.settings \
    PORTAL_VAR_DIR=/var/lib/portal \
    STATIC_ROOT=/app/staticfiles

# Runtime system packages (WeasyPrint, fonts): the list shared with .ci/run.
COPY .ci/system-packages.txt /tmp/system-packages.txt
RUN apt-get update \
    && sed -e 's/#.*//' /tmp/system-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/system-packages.txt

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is reused until they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the code (ameli_portal, accounts, reimbursements, attestations, requests_app,
# manage.py, templates/, static/; .dockerignore keeps var/, .venv, .git... out).
COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && chmod 0755 docker/entrypoint.sh

# Static files at build time, with a throwaway key (settings refuse DEBUG=0 without one).
# Run as root: the app user can read them but not change them.
RUN SECRET_KEY=build-only-not-secret DEBUG=0 python manage.py collectstatic --noinput

# Private data (PDFs, attachments, beat schedule): owned by the app user, a volume.
RUN install -d -o portal -g portal -m 0750 /var/lib/portal

USER portal:portal

# Declared after collectstatic: later changes to a VOLUME path would be discarded.
VOLUME ["/var/lib/portal"]

EXPOSE 8000

# /healthz (the process answers, touches neither the database nor Redis): any HTTP
# answer below 500 means alive. http.client rather than urlopen: it neither follows the
# HTTPS redirect (SECURE_SSL_REDIRECT) nor raises on a 400 for a public ALLOWED_HOSTS;
# X-Forwarded-Proto avoids the redirect altogether. Compose's web checks /readyz instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import http.client as h, sys; c = h.HTTPConnection('127.0.0.1', 8000, timeout=4); c.request('GET', '/healthz', headers={'X-Forwarded-Proto': 'https'}); sys.exit(c.getresponse().status >= 500)"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "ameli_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
