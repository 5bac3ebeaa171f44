import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import reimbursements.models


class Migration(migrations.Migration):

    dependencies = [
        ("reimbursements", "0004_care_refs_daily_allowances_vaccinations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("file", models.FileField(max_length=200, upload_to=reimbursements.models.import_upload_to,
                                          verbose_name="fichier")),
                ("file_name", models.CharField(max_length=200, verbose_name="nom du fichier")),
                ("file_size", models.PositiveBigIntegerField(verbose_name="taille (octets)")),
                ("post", models.BooleanField(default=True, verbose_name="liquider les feuilles")),
                ("status", models.CharField(choices=[("pending", "En attente"), ("running", "En cours"),
                                                     ("done", "Terminé"), ("failed", "Échec")],
                                            db_index=True, default="pending", max_length=8, verbose_name="état")),
                ("lines_total", models.PositiveIntegerField(default=0, verbose_name="lignes du fichier (estimation)")),
                ("lines_read", models.PositiveIntegerField(default=0, verbose_name="lignes lues")),
                ("lines_imported", models.PositiveIntegerField(default=0, verbose_name="lignes importées")),
                ("lines_rejected", models.PositiveIntegerField(default=0, verbose_name="lignes rejetées")),
                ("sheets_imported", models.PositiveIntegerField(default=0, verbose_name="feuilles importées")),
                ("error", models.CharField(blank=True, max_length=500, verbose_name="erreur")),
                ("rejects", models.FileField(blank=True, max_length=200,
                                             upload_to=reimbursements.models.import_rejects_to,
                                             verbose_name="rapport des rejets")),
                ("import_batch", models.CharField(blank=True, max_length=40, verbose_name="lot d'import")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="déposé le")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="commencé le")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="terminé le")),
                ("launched_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                  to=settings.AUTH_USER_MODEL, verbose_name="lancé par")),
            ],
            options={
                "verbose_name": "import de feuilles de soins",
                "verbose_name_plural": "imports de feuilles de soins",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
