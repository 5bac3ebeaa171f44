from django.core.management.base import BaseCommand
from django.db import transaction

from ameli_portal.emails import enqueue_email


class Command(BaseCommand):
    help = "Envoie un courriel de test (par la file de tâches) pour vérifier la configuration."

    def add_arguments(self, parser):
        parser.add_argument("to", help="adresse du destinataire")

    def handle(self, *args, to, **options):
        with transaction.atomic():
            job = enqueue_email(template="test", to=[to], context={})
        self.stdout.write(f"Courriel de test mis en file (tâche {job.pk}).")
