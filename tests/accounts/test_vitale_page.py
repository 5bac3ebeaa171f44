"""Ma carte Vitale: each person's card in plain words, its history, nobody else's cards."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import HealthCard
from accounts.services.cards import ceam_order, vitale_card_oppose, vitale_card_order
from tests.factories import BeneficiaryFactory, HealthCardEventFactory, HealthCardFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:vitale_card")


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_valid_card_is_shown_masked_with_its_history(logged, insured):
    card = HealthCardFactory(insured=insured, valid_from=date(2021, 3, 4))
    HealthCardEventFactory(card=card, note="Carte fabriquée et envoyée à l'adresse postale.")
    html = page(logged)
    assert "Carte Vitale valide" in html and "04/03/2021" in html
    assert card.serial_number[-4:] in html and card.serial_number not in html
    assert "Carte fabriquée et envoyée" in html
    assert reverse("requests_app:list") in html and "Faire une démarche" in html


def test_opposed_card_and_new_order_are_told_in_plain_french(logged, insured):
    HealthCardFactory(insured=insured)
    vitale_card_oppose(insured=insured, reason="theft")
    vitale_card_order(insured=insured, reason="theft")
    html = page(logged)
    assert "Carte Vitale en opposition" in html and "(vol)" in html
    assert "ne peut plus être utilisée" in html
    assert "Une nouvelle carte Vitale a été commandée" in html


def test_renewal_in_progress_says_the_current_card_stays_valid(logged, insured):
    HealthCardFactory(insured=insured)
    vitale_card_order(insured=insured, reason="renewal")
    html = page(logged)
    assert "Carte Vitale valide" in html
    assert "la carte actuelle reste valide" in html


def test_each_beneficiary_has_a_section(logged, insured):
    teen = BeneficiaryFactory(insured=insured, first_names="Maël", birth_date=date(2008, 1, 11))
    BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2018, 9, 30))
    HealthCardFactory(insured=insured, beneficiary=teen)
    ceam_order(insured=insured, beneficiary=teen, departure_on=date(2027, 7, 1))
    html = page(logged)
    assert f"Maël {teen.last_name}" in html
    assert "Lou" in html and "figure sur la carte Vitale de ses parents" in html
    assert "Carte européenne d'assurance maladie commandée" in html and "01/07/2027" in html


def test_without_any_card_the_page_says_so(logged, insured):
    assert "Aucune carte Vitale en service" in page(logged)


def test_another_insureds_cards_are_never_shown(logged, insured, other_insured):
    theirs = HealthCardFactory(insured=other_insured)
    child = BeneficiaryFactory(insured=other_insured, first_names="Intrus", birth_date=date(2005, 1, 1))
    HealthCardFactory(insured=other_insured, beneficiary=child)
    mine = HealthCardFactory(insured=insured)
    html = page(logged)
    assert mine.serial_number[-4:] in html
    assert theirs.serial_number[-4:] not in html and "Intrus" not in html


def test_staff_has_no_vitale_page(client, staff):
    client.force_login(staff)
    assert client.get(URL).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("count", [1, 4])
def test_query_count_does_not_grow_with_people_and_cards(logged, insured, count, django_assert_num_queries):
    for n in range(count):
        child = BeneficiaryFactory(insured=insured, first_names=f"Enfant{n}", birth_date=date(2005 + n, 1, 1))
        card = HealthCardFactory(insured=insured, beneficiary=child)
        HealthCardEventFactory.create_batch(2, card=card)
        HealthCardFactory(insured=insured, status=HealthCard.Status.REPLACED)
    HealthCardFactory(insured=insured)
    logged.get(URL)  # the first request of a session creates its record (allauth's user sessions)
    # Every page: 1 session, 2 user (nothing written within the renewal interval:
    # tests/accounts/test_session_activity.py). This page: 3 the user's insured, 4 the
    # beneficiaries, 5 the cards, 6 their events; the layout: 7 the unread messages count
    # (messaging's context processor).
    with django_assert_num_queries(7):
        assert logged.get(URL).status_code == 200


def test_home_links_to_the_card_the_requests_and_the_messages(logged):
    html = logged.get(reverse("accounts:home")).content.decode()
    for name in ("accounts:vitale_card", "requests_app:list", "messaging:inbox"):
        assert f'href="{reverse(name)}"' in html
    assert "Ma carte Vitale" in html and "Mes démarches" in html and "Ma messagerie" in html


def test_profile_shows_the_family_situation_and_only_the_end_of_the_iban(logged, insured):
    from accounts.services.register import insured_change_family_situation, insured_change_iban

    iban = "FR1420041010050500013M02606"
    insured_change_iban(insured=insured, iban=iban)
    insured_change_family_situation(insured=insured, situation="pacse", since=date(2019, 6, 22))
    html = logged.get(reverse("accounts:profile")).content.decode()
    assert "Pacsé depuis le 22/06/2019" in html  # the register says a man (sex 1)
    assert iban[-4:] in html and iban not in html and iban[4:-4] not in html
