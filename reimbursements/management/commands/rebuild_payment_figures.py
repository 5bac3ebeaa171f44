"""Compute again the figures of « Mes paiements » kept per person and month (aggregates.py),
for everyone, from their lines: after restoring a backup or editing the ledger by hand.
Each writer keeps them up to date on its own; this is never needed in normal running."""

from django.core.management.base import BaseCommand
from django.db import transaction

from reimbursements.aggregates import figures_rebuild_all


class Command(BaseCommand):
    help = "Recalcule les chiffres de « Mes paiements » (compteurs et graphique) de chaque assuré."

    def handle(self, *args, **options):
        with transaction.atomic():
            people = figures_rebuild_all()
        self.stdout.write(f"Chiffres recalculés pour {people} assuré(s).")
