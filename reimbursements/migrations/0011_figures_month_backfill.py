# The rows of every person who already has lines, computed from their lines (aggregates.py).
# Backwards: nothing to undo, the rows go with the tables of 0009.

from django.db import migrations


def backfill(apps, schema_editor):
    from reimbursements.aggregates import Models, figures_rebuild_all

    figures_rebuild_all(models=Models(settlement=apps.get_model("reimbursements", "Settlement"),
                                      month=apps.get_model("reimbursements", "FiguresMonth"),
                                      version=apps.get_model("reimbursements", "PaymentFigures"),
                                      ledger=apps.get_model("reimbursements", "LedgerEntry")))


class Migration(migrations.Migration):

    dependencies = [
        ("reimbursements", "0010_figures_month"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
