from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.accounts.helpers import last_code
from tests.factories import PASSWORD, CareActFactory, CareSheetFactory

LOGIN = "/api/auth/app/v1/auth/login"
CODE = "/api/auth/app/v1/auth/code/confirm"


def sign_in(user, *, login=None, password=PASSWORD) -> str:
    """The app's way in: NIR and password, then the emailed code; returns the session token."""
    client = Client()
    response = client.post(
        LOGIN, {"username": login or user.username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 401, response.content  # one more step: the emailed code
    body = response.json()
    assert [f["id"] for f in body["data"]["flows"] if f.get("is_pending")] == ["login_by_code"]
    token = body["meta"]["session_token"]
    response = client.post(
        CODE, {"code": last_code(user.email)}, content_type="application/json", HTTP_X_SESSION_TOKEN=token
    )
    assert response.status_code == 200, response.content
    # The account's NIR is not in the user allauth describes (the record of how the person
    # signed in still repeats what they typed: allauth keeps it with the session).
    assert "username" not in response.json()["data"]["user"]
    return response.json()["meta"]["session_token"]


class ApiClient(Client):
    def __init__(self, token: str | None = None):
        super().__init__()
        self.token = token

    def request(self, **request):
        if self.token:
            request["HTTP_X_SESSION_TOKEN"] = self.token
        return super().request(**request)


@pytest.fixture
def api_for():
    def make(user):
        return ApiClient(sign_in(user))

    return make


def paid_care(insured, *, days_ago=10, **act):
    """A GP consultation of ``insured`` (unless told otherwise), posted and paid the next day."""
    day = timezone.localdate() - timedelta(days=days_ago)
    act = CareActFactory(sheet=CareSheetFactory(insured=insured, received_on=day), care_date=day, **act)
    [settlement] = care_sheet_post(sheet=act.sheet, actor=None)
    payments_run(day=day + timedelta(days=1))
    settlement.refresh_from_db()
    return settlement.payment
