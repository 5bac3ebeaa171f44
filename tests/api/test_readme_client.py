"""The README's Python client, run as written against a live test server: it signs in with
the NIR, the password and the emailed code, lists the payments, asks for the attestation de
droits, follows its state until it is ready and downloads it. The document's job runs as the
tests' jobs do (in-process, on commit: ``CELERY_TASK_ALWAYS_EAGER`` in ``./run test``);
tests/attestations/test_documents.py renders the same job through a real worker."""

import re
from pathlib import Path

import pytest

from attestations.models import Document
from tests.accounts.helpers import last_code
from tests.api.conftest import paid_care
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def _client_script() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    [script] = [b for b in blocks if "/api/auth/app/v1/auth/login" in b]
    return script


def test_the_readme_s_python_client_runs_against_the_portal(
    live_server, monkeypatch, tmp_path, settings, capsys
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None},
        },
    }
    user = UserFactory()
    payment = paid_care(user.insured)
    assert not Document.objects.filter(owner=user.insured).exists()
    monkeypatch.setenv("PORTAIL", live_server.url)
    monkeypatch.setenv("NIR", user.username)
    monkeypatch.setenv("MOT_DE_PASSE", PASSWORD)
    monkeypatch.chdir(tmp_path)
    exec(
        compile(_client_script(), "README.md", "exec"),  # noqa: S102 (the README's own code)
        {"__name__": "__main__", "input": lambda prompt: last_code(user.email)},
    )
    printed = capsys.readouterr().out
    assert f"{payment.paid_on} {payment.amount} € 1 acte(s)" in printed
    pdf = (tmp_path / "attestation-de-droits.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and "attestation-de-droits.pdf enregistrée" in printed
    # The client asked for it: one attestation, the one downloaded.
    [document] = Document.objects.filter(owner=user.insured)
    assert document.kind == Document.Kind.RIGHTS and document.status == Document.Status.READY
    assert document.file.open("rb").read() == pdf
