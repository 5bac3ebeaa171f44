"""The project's settings with the benches' URLs (``bench.urls``): for the HTTP bench's gunicorn.

Never used by the portal itself: ``bench.http`` starts gunicorn with
``DJANGO_SETTINGS_MODULE=bench.settings`` and the production environment (DEBUG=0).
"""

import os

from ameli_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# `bench.http --old-sessions`: the sessions as before SessionActivityMiddleware (every request
# saved the session and allauth's user session), for a before/after on the same machine.
if os.environ.get("BENCH_OLD_SESSIONS") == "1":
    MIDDLEWARE = [  # noqa: F405
        "allauth.usersessions.middleware.UserSessionsMiddleware"
        if m == "accounts.middleware.SessionActivityMiddleware"
        else m
        for m in MIDDLEWARE  # noqa: F405
    ]
    SESSION_SAVE_EVERY_REQUEST = True
