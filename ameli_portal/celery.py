import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ameli_portal.settings")

app = Celery("ameli_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
