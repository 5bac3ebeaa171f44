#!/bin/sh
# Container entrypoint for the portal image.
#   web          migrate, then gunicorn (demo data: a one-off `seed_demo` run with DEBUG=1,
#                see the README; never by the DEBUG=0 web itself)
#   anything else is executed as given (celery worker/beat, manage.py ..., the default CMD)
set -eu

case "${1:-}" in
    web)
        shift
        python manage.py migrate --noinput
        exec gunicorn ameli_portal.wsgi:application \
            --bind 0.0.0.0:8000 \
            --workers "${GUNICORN_WORKERS:-3}" \
            --access-logfile - \
            "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
