import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    """The version of an insured person's payment figures, for « Mes paiements »'s cache.

    Existing rows all get the one uuid drawn when this runs: cache keys hold the person's id
    too, and the value is new to any cache.
    """

    dependencies = [
        ("accounts", "0002_health_cards_iban_history_family_situation"),
    ]

    operations = [
        migrations.AddField(
            model_name="insured",
            name="figures_version",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
    ]
