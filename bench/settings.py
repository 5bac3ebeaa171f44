"""The project's settings with the benches' URLs (``bench.urls``): for the HTTP bench's gunicorn.

Never used by the portal itself: ``bench.http`` starts gunicorn with
``DJANGO_SETTINGS_MODULE=bench.settings`` and the production environment (DEBUG=0).
"""

from ameli_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
