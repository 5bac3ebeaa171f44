"""Sending a form as a person does: with the token its page carries, twice, or twice at once."""

import re
import threading

from django.db import connections
from django.test import Client


def token_in(response, field_id: str = "id_idempotency_key") -> str:
    """The hidden token of the form whose field has this id, as the page shows it."""
    html = response.content.decode()
    match = re.search(rf'<input type="hidden" name="idempotency_key" value="([^"]+)" id="{field_id}"', html)
    assert match, f"pas de jeton {field_id} dans la page"
    return match[1]


def post_at_once(user, url: str, make_data, *, count: int = 2) -> list:
    """``count`` browsers of the same person post the same form at the same instant.

    Each thread has its own client (own session) and its own database connection; a barrier
    releases them together. ``make_data()`` is called once per thread (fresh file objects).
    Needs ``django_db(transaction=True)``: each thread must see the others' commits.
    """
    barrier = threading.Barrier(count)
    responses: list = [None] * count
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            client = Client()
            client.force_login(user)
            data = make_data()
            barrier.wait(timeout=30)
            responses[index] = client.post(url, data)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return responses
