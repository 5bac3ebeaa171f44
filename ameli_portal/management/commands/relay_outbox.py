from django.core.management.base import BaseCommand

from ameli_portal.outbox import relay_pending


class Command(BaseCommand):
    help = "Publie les tâches restées en attente dans l'outbox (le broker était indisponible)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=0, help="secondes")

    def handle(self, *args, older_than=0, **options):
        sent = relay_pending(older_than_seconds=older_than)
        self.stdout.write(f"{sent} tâche(s) publiée(s).")
