"""schemathesis reads the OpenAPI document the portal serves and calls every operation with
generated values, signed in as a person who has data: no 5xx, and every answer conforms to
the document (status codes, content types, bodies)."""

import os

import pytest
import schemathesis
import schemathesis.checks
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, settings

from attestations.models import Document
from tests.api.conftest import paid_care, sign_in
from tests.factories import DemarcheFactory, HealthCardFactory, ThreadFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fuzz]

_portal = get_wsgi_application()


def _app(environ, start_response):
    # A WSGI server always tells the client's address; schemathesis's in-process client does not.
    environ.setdefault("REMOTE_ADDR", "127.0.0.1")
    return _portal(environ, start_response)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _app)
# Unknown query parameters are ignored, as by most APIs: not drawn. In CI the draws are fixed.
schema.config.generation.update(allow_extra_parameters=False, deterministic=bool(os.environ.get("CI")))


@pytest.fixture
def token(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    user = UserFactory()
    HealthCardFactory(insured=user.insured)
    ThreadFactory(insured=user.insured)
    DemarcheFactory(insured=user.insured)
    paid_care(user.insured)
    document = Document(
        owner=user.insured,
        kind=Document.Kind.RIGHTS,
        content_key="k",
        status=Document.Status.READY,
        issued_at=timezone.now(),
    )
    document.file.save("attestation.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    document.save()
    return sign_in(user)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_document_says(case, token):
    # A cursor is an opaque token: any string fits the document, and a made-up one is refused
    # (400), so "every schema-valid request is accepted" cannot hold for it.
    case.call_and_validate(
        headers={"X-Session-Token": token}, excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
