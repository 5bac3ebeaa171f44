#!/bin/sh
# Container entrypoint for the portal image.
#   web          migrate, optionally seed the demo data (SEED_DEMO=1), then gunicorn
#   anything else is executed as given (celery worker/beat, manage.py ..., the default CMD)
set -eu

case "${1:-}" in
    web)
        shift
        python manage.py migrate --noinput
        if [ "${SEED_DEMO:-0}" = "1" ]; then
            python manage.py seed_demo
        fi
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
