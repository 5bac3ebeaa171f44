#!/usr/bin/env python
"""Django's command-line utility, with one-line errors for bad configuration."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ameli_portal.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError as DatabaseDown

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A wrong setting is the operator's to fix: say which, without a traceback.
        sys.exit(f"Configuration invalide : {exc}")
    except DatabaseDown as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        from ameli_portal.settings_env import SettingsEnv

        sys.exit(f"{SettingsEnv().shown('DATABASE_URL')} : base de données injoignable ({first_line}).")


if __name__ == "__main__":
    main()
