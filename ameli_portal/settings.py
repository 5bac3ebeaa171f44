"""One settings module for every way the portal runs, driven by the environment.

Embedded default (no variable set): SQLite under ``var/``, Celery tasks run
in-process, mail lands in the demo mailbox. Full stack: set ``DATABASE_URL``,
``REDIS_URL`` and ``EMAIL_URL``. ``DEBUG`` off switches every safety on.
"""

from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from ameli_portal.settings_env import LOG_LEVELS, SettingsEnv

BASE_DIR = Path(__file__).resolve().parent.parent
# Every variable goes through env: a bad value stops the start with one line naming it.
env = SettingsEnv()
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# The embedded default is a developer's laptop; anything else must say DEBUG=1 or set a key.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY est obligatoire quand DEBUG est désactivé (production).")
    SECRET_KEY = "insecure-demo-key-only-for-the-embedded-default"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.origins("CSRF_TRUSTED_ORIGINS", default=[])

# Demo mode: the mailbox page and the printed demo logins. Production never has it.
DEMO_MODE = env.bool("DEMO_MODE", default=DEBUG)
if DEMO_MODE and not DEBUG:
    raise ImproperlyConfigured("DEMO_MODE n'est permis qu'avec DEBUG=1 (jamais en production).")

INSTALLED_APPS = [
    "ameli_portal.apps.PortalAdminConfig",  # django.contrib.admin, every page audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.headless",  # the sign-in API for apps (api/)
    "ninja",  # serves the API documentation's scripts from static files, not a CDN
    "ameli_portal",
    "accounts",
    "reimbursements",
    "attestations",
    "requests_app",
    "messaging",
    "api",
]

MIDDLEWARE = [
    # First, so that every response has it, even SecurityMiddleware's redirects to https.
    "ameli_portal.middleware.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The request's own address for the links of the emails and PDFs it causes (site.py).
    "ameli_portal.site.SiteUrlMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (it asks who is signed in), hence after WhiteNoise's static files.
    "ameli_portal.middleware.PrivateNoStoreMiddleware",
    # Django's LoginRequiredMiddleware, the back office's pages sent to its own sign-in.
    "accounts.middleware.PortalLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An empty 405 (require_POST, class-based views) becomes the French page (errors.py).
    "ameli_portal.errors.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.AbsoluteSessionLimitMiddleware",
    # Instead of allauth's UserSessionsMiddleware: renews the session and « Mes sessions »
    # at most once every SESSION_ACTIVITY_REFRESH seconds (see the sessions block below).
    "accounts.middleware.SessionActivityMiddleware",
    "accounts.middleware.StaffMfaMiddleware",
    "accounts.middleware.NewTermsMiddleware",
    # The same gate for allauth's API for apps (its account operations, by token).
    "api.middleware.HeadlessTermsMiddleware",
]

ROOT_URLCONF = "ameli_portal.urls"
WSGI_APPLICATION = "ameli_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ameli_portal.context_processors.branding",
                "messaging.context_processors.unread_messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    if env.bool("DATABASE_POOL", default=False):
        # psycopg 3's pool; CONN_MAX_AGE must stay 0 with it.
        DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 2, "max_size": 10, "timeout": 10}
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache -------------------------------------------
REDIS_URL = env.redis_url("REDIS_URL", default="")

if REDIS_URL:
    # The cache is never a single point of failure: with Redis down every read is a
    # miss and every write is dropped (django-redis IGNORE_EXCEPTIONS), after a short
    # socket timeout. What that weakens (the rate limits) is in README, « Panne de Redis ».
    CACHES = {
        "default": {
            "BACKEND": "ameli_portal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_CONNECT_TIMEOUT", default=0.25),
                "SOCKET_TIMEOUT": env.float("CACHE_TIMEOUT", default=0.5),
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "ameli_portal.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="portal")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing at commit must fail fast when Redis is down: the outbox relay re-sends.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# A message a worker took but did not acknowledge (the worker was killed) goes back to the
# queue after the visibility timeout; the redis transport looks for such messages every
# unacked_restore_interval x unacked_restore_throttle seconds (30 s here, 100 s by default).
# It must be longer than CELERY_TASK_TIME_LIMIT, or a long job would be run twice at once;
# no job uses an ETA or a countdown (retries are scheduled from the outbox, see jobs.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300, minimum=1),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 3,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE = {
    # Also the workers' heartbeat (/readyz). Expires: after an outage, one relay, not hundreds.
    "outbox-relay": {"task": "ameli_portal.relay_outbox", "schedule": 30.0, "options": {"expires": 25}},
    "daily-payment-run": {
        "task": "reimbursements.daily_payment_run",
        "schedule": crontab(hour=6, minute=0),
    },
    # The previous month's relevés, after the payment run has settled the month.
    "monthly-statements": {
        "task": "attestations.monthly_statements",
        "schedule": crontab(day_of_month=1, hour=7, minute=0),
    },
    "expire-health-cards": {
        "task": "accounts.expire_health_cards",
        "schedule": crontab(hour=2, minute=30),
    },
    "purge-data-exports": {
        "task": "accounts.purge_data_exports",
        "schedule": crontab(hour=3, minute=10),
    },
    # The code letter for anyone whose rights opened and who got none (the safety net).
    "welcome-letters-catch-up": {
        "task": "accounts.welcome_letters_catch_up",
        "schedule": crontab(hour=3, minute=15),
    },
}
OUTBOX_RELAY_AGE_SECONDS = env.int("OUTBOX_RELAY_AGE_SECONDS", default=20)
# Retries of transient faults (SMTP or database unreachable, SMTP 4xx), from the outbox:
# 30 s, 1, 2, 4, 8, 16, 32 min, 1 h 04, 2 h 08, then every 4 h, for 15 runs in all: the
# last one comes about 24 h after the first (up to 20 % later with the jitter), then the
# job is « Échec » on the operations page. See ameli_portal/jobs.py.
JOB_RETRY_BASE_SECONDS = env.float("JOB_RETRY_BASE_SECONDS", default=30)
JOB_RETRY_MAX_DELAY_SECONDS = env.float("JOB_RETRY_MAX_DELAY_SECONDS", default=4 * 3600)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=15, minimum=1)
# An uploaded care-sheet file is imported by this many Celery tasks side by side, each the
# sheets of its own insured people (reimbursements/services/import_runs.py): as many as the worker
# processes that may import at once.
IMPORT_PARTS = env.int("IMPORT_PARTS", default=2, minimum=1)
# A published job not done after its lease is published again by the relay (its worker
# died, or Redis lost the message): longer than CELERY_TASK_TIME_LIMIT (180 s).
JOB_LEASE_SECONDS = env.float("JOB_LEASE_SECONDS", default=300)
# /readyz: the relay task (beat, every 30 s, run by a worker) writes a heartbeat; older than
# this, no worker or no beat is running. And the oldest job not done nor failed.
HEALTH_HEARTBEAT_MAX_AGE_SECONDS = env.int("HEALTH_HEARTBEAT_MAX_AGE_SECONDS", default=120)
HEALTH_OUTBOX_MAX_AGE_SECONDS = env.int("HEALTH_OUTBOX_MAX_AGE_SECONDS", default=1800)

# --- Mail ---------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
elif DEMO_MODE:
    EMAIL_BACKEND = "ameli_portal.mailbox.DemoMailboxBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The tests' worker keeps its mail in the database, where the tests read it.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_BACKEND)
# A mail server that hangs must fail the attempt (then retried) well before the time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ne-pas-repondre@caisse-demo.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "public:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "accounts.passwords.CharacterClassesValidator"},
    {"NAME": "accounts.passwords.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.passwords.PersonalDataValidator"},
]

# allauth's API for apps: the same accounts, codes and limits as the web, with a session token
# (X-Session-Token) instead of a cookie. The browser keeps the web pages.
HEADLESS_CLIENTS = ("app",)
HEADLESS_ADAPTER = "api.headless.HeadlessAdapter"
HEADLESS_SERVE_SPECIFICATION = False  # its page loads scripts from a CDN; /api/v1/docs does not

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.NirLoginForm",
    "signup": "accounts.forms.CredentialsForm",
    "reset_password": "accounts.forms.NirResetPasswordForm",
    "confirm_login_code": "accounts.forms.LoginCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"username"}
# The login (the NIR) comes from the identity check, never from the signup form.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
SILENCED_SYSTEM_CHECKS = ["account.W001"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked with a NIR and an email that do not match sends nothing at all.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# A 6-digit code by email after the password at every login, as the real site does;
# TOTP replaces it for people who set it up (see AccountAdapter).
ACCOUNT_LOGIN_BY_CODE_REQUIRED = True
ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT = 15 * 60
# (sic: allauth 65 reads this setting under this doubled name)
ACCOUNT_PASSWORD_RESET_BY_CODE_CODE_FORMAT = {"numeric": True, "length": 8, "dashed": False}
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,10/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/10s/key",
    "request_login_code": "20/m/ip,3/m/key",
    # Our own steps of account creation (keys are hashes, never a NIR).
    "signup_identity": "10/m/ip,5/h/key",
    "signup_iban": "10/m/ip,5/h/key",
    "signup_code": "10/m/ip,10/h/key",
    # The public carte Vitale form: as signup_identity; its emailed code: as signup_code.
    "vitale_public": "10/m/ip,5/h/key",
    "vitale_public_code": "10/m/ip,10/h/key",
    "code_letter": "5/h/ip,3/d/key",
    # The public contact form (key: a hash of the reply address).
    "contact_form": "10/h/ip,3/h/key",
    "verify_document": "30/m/ip",
}
ACCOUNT_MAX_FAILED_LOGINS = 5
# How long an identifier's failures are remembered for the « connexion suspendue » message
# (accounts/lockout.py); the account's own lock lasts until a reset or an unlock.
ACCOUNT_LOCKOUT_MEMORY_SECONDS = env.int("ACCOUNT_LOCKOUT_MEMORY_SECONDS", default=30 * 24 * 3600)
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("PORTAL_NAME", default="Mon compte santé")
# Staff must set up an authenticator app before using the back office. The embedded
# demo may turn this off (STAFF_MFA_REQUIRED=0) so that its demo staff logins work at once.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEMO_MODE)
MFA_TRUST_COOKIE_AGE = 30 * 24 * 3600
PROVISIONAL_CODE_VALIDITY_DAYS = env.int("PROVISIONAL_CODE_VALIDITY_DAYS", default=30)
PROVISIONAL_CODE_MAX_ATTEMPTS = 5
SIGNUP_IDENTITY_MAX_AGE = 30 * 60

# Idle timeout 30 minutes, absolute 12 hours. A request renews the session (its expiry and
# cookie: SESSION_COOKIE_AGE from then) and its entry in « Mes sessions » (last seen, IP) only
# when the last renewal is SESSION_ACTIVITY_REFRESH old or more
# (accounts.middleware.SessionActivityMiddleware): a session ends 25 to 30 minutes after the
# last request, and a signed-in page writes nothing in between. Tracking stays on for allauth
# (« Mes sessions » shows the last seen time), done by our middleware instead of its own.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ACTIVITY_REFRESH = 5 * 60
USERSESSIONS_TRACK_ACTIVITY = True
SESSION_ABSOLUTE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- I18N ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Documents and attachments: private storage, never under a public URL.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "private"
FILE_UPLOAD_PERMISSIONS = 0o600
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Virus scan of the démarches' attachments: off unless a dotted path to a callable
# ``scanner(data: bytes, *, name: str) -> bool`` is given (False or an exception refuses the file).
ATTACHMENT_SCANNER = env.str("ATTACHMENT_SCANNER", default="") or None

# --- Branding (configurable, neutral by default, visibly a demonstration) -----
BRANDING = {
    "portal_name": env.str("PORTAL_NAME", default="Mon compte santé"),
    "caisse_name": env.str("CAISSE_NAME", default="Caisse d'assurance maladie de démonstration"),
    "caisse_short": env.str("CAISSE_SHORT", default="CPAM Démo"),
    "address": env.str("CAISSE_ADDRESS", default="1 rue de l'Exemple, 99999 Villedémo"),
    "phone": env.str("CAISSE_PHONE", default="36 46"),
    "phone_note": env.str("CAISSE_PHONE_NOTE", default="service gratuit + prix d'un appel local"),
    "hours": env.str("CAISSE_HOURS", default="du lundi au vendredi, de 8 h 30 à 17 h 30"),
    # Legal notices (mentions légales, RGPD articles 13-14): the caisse's own facts.
    "publisher": env.str(
        "CAISSE_PUBLISHER", default="Caisse d'assurance maladie de démonstration (organisme fictif)"
    ),
    "publication_director": env.str(
        "CAISSE_PUBLICATION_DIRECTOR", default="Le directeur de la caisse de démonstration"
    ),
    "siret": env.str("CAISSE_SIRET", default="000 000 000 00000 (fictif)"),
    "host": env.str("PORTAL_HOST_NAME", default="Hébergeur de démonstration (aucun hébergeur réel)"),
    "host_address": env.str("PORTAL_HOST_ADDRESS", default="1 avenue du Serveur, 99999 Villedémo"),
    "host_note": env.str(
        "PORTAL_HOST_NOTE", default="Hébergement de données de santé certifié (HDS) exigé en production."
    ),
    "dpo_email": env.str("CAISSE_DPO_EMAIL", default="dpo@caisse-demo.invalid"),
    "dpo_address": env.str(
        "CAISSE_DPO_ADDRESS",
        default="Délégué à la protection des données, 1 rue de l'Exemple, 99999 Villedémo",
    ),
    "demo_banner": env.str(
        "DEMO_BANNER",
        default="Site de démonstration : caisse fictive, aucune donnée réelle. "
        "Ce site n'est pas celui de l'Assurance Maladie.",
    ),
}

# The terms of use and privacy notice in force: bump it when their text changes, and every
# signed-in person is asked to accept the new version before going on.
TERMS_VERSION = env.str("TERMS_VERSION", default="2026-12")
# How long a « télécharger mes données » archive stays downloadable.
DATA_EXPORT_DAYS = env.int("DATA_EXPORT_DAYS", default=7)

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page uses, denied to all (ameli_portal.middleware). An empty list is "()".
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "battery",
        "bluetooth",
        "camera",
        "display-capture",
        "document-domain",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
        # no ad tracking: the Topics API (FLoC's "interest-cohort" is gone: Chromium logs it unknown)
        "browsing-topics",
    )
}
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "ameli_portal.errors.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # COOKIE_SECURE=0 only for plain-http trials such as `docker compose up` on localhost.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Logging: never a NIR or a secret; security events go to their own logger --
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"one_line_cache_errors": {"()": "ameli_portal.cache.OneLineCacheErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", LOG_LEVELS, default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "accounts.security": {"level": "INFO"},
        "ameli_portal.cache": {"filters": ["one_line_cache_errors"]},
        # one line per job is noise in the demo terminal and in the worker's log
        "celery.app.trace": {"level": env.choice("CELERY_TRACE_LOG_LEVEL", LOG_LEVELS, default="WARNING")},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The portal's address for links built outside a request (jobs run by the worker); during a
# request, the request's own address wins (ameli_portal.site). `./run demo` sets it.
SITE_URL = env.http_url("SITE_URL", default="http://127.0.0.1:8000")
