# « En cours de paiement »: a partial index of the unpaid lines only (see Settlement.Meta).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reimbursements', '0007_new_care_kinds_baskets_and_urgent_flags'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='settlement',
            index=models.Index(condition=models.Q(('payment__isnull', True)), fields=['insured', 'care_date', 'id'], name='settlement_pending_idx'),
        ),
    ]
