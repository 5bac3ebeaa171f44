# An uploaded file imported by several tasks, one part each (reimbursements/import_runs.py).

import django.db.models.deletion
import reimbursements.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reimbursements', '0012_ledger_balance_per_statement'),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportRunPart',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('attempt', models.PositiveSmallIntegerField(verbose_name='relance')),
                ('index', models.PositiveSmallIntegerField(verbose_name='partie')),
                ('of', models.PositiveSmallIntegerField(verbose_name='parties')),
                ('done', models.BooleanField(default=False, verbose_name='terminée')),
                ('error', models.CharField(blank=True, max_length=500, verbose_name='erreur')),
                ('rejects', models.FileField(blank=True, max_length=200, upload_to=reimbursements.models.import_part_rejects_to, verbose_name='rejets de la partie')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parts', to='reimbursements.importrun')),
            ],
            options={
                'verbose_name': "partie d'un import",
                'verbose_name_plural': "parties d'un import",
                'constraints': [models.UniqueConstraint(fields=('run', 'attempt', 'index'), name='importrunpart_once_per_attempt')],
            },
        ),
    ]
