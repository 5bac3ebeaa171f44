from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Crée ou remet à jour les données de démonstration (idempotent) : chaque application "
        "qui a un module demo.py y apporte les siennes, dans l'ordre d'INSTALLED_APPS."
    )

    def handle(self, *args, **options):
        # The demo staff and insured have published passwords: never on a real portal.
        if not settings.DEMO_MODE:
            raise CommandError(
                "seed_demo ne s'exécute qu'en mode démonstration (DEMO_MODE=1, avec DEBUG=1) : "
                "ses comptes ont des mots de passe publiés."
            )
        logins = []
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                logins += import_module(module_name).seed() or []
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        if logins:
            self.stdout.write("\nIdentifiants de démonstration :")
            for line in logins:
                self.stdout.write(f"  {line}")
