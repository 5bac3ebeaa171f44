import os
import sys
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ameli_portal.settings")

app = Celery("ameli_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _settings_or_exit() -> None:
    """``celery -A ameli_portal …``: a bad setting is one line, as with manage.py, not a traceback."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- loads the settings
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration invalide : {exc}")


if "celery" in Path(sys.argv[0]).parts[-2:] or Path(sys.argv[0]).name == "celery":
    _settings_or_exit()
