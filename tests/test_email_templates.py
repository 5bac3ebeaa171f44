"""Every email template, found by globbing, rendered with sample data: French, whole, branded.

The list comes from ``ameli_portal.email_catalog`` (the template directories, allauth's
included): a template added tomorrow, or a mail a new allauth version starts sending,
is checked here without anyone adding it to a list. A variable the sample data lacks
shows as ``@@VIDE:name@@`` (``string_if_invalid``) and fails.
"""

import copy
import html
import re
from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags

from ameli_portal.email_catalog import email_templates, render_email
from tests.accounts.helpers import last_code
from tests.factories import PASSWORD, UserFactory

INVALID = "@@VIDE:%s@@"
TEMPLATES = email_templates()
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
# A NIR-shaped username: it must never reach an email (the username is the NIR).
SAMPLE_NIR = "2850799123456"

# Words of English that no French sentence of ours uses (URLs and addresses removed first).
ENGLISH = re.compile(
    r"\b(the|your|you|please|this|has|been|with|account|is|are|to|of|and|if|"
    r"hello|thank|click|code is|sign|email)\b",
    re.IGNORECASE,
)
# What an empty variable leaves behind: « sur . », « ( ) », « «  » », two spaces in a line.
BLANKS = [
    re.compile(r"\b(sur|à|au|aux|de|du|des|le|la|les|pour|par|avec|en|dans|chez|le site)\s+[.,;)]"),
    re.compile(r"\s[.,)]"),
    re.compile(r"«\s*»|\(\s*\)|\[\s*\]"),
    re.compile(r"\S {2,}\S"),
    re.compile(r"\b(None|False|True)\b"),
]


def _stock_sentences() -> set[str]:
    """allauth's own sentences, in English and in its French translation: the pieces of
    each {% blocktrans %} of its messages between variables (three words or more of the
    English; seven or more of the French, outside the one-line facts of the notifications:
    « Une clé de sécurité a été retirée » is just French, « Cet email peut être ignoré si… »
    is the stock voice)."""
    pieces = set()
    for path in ALLAUTH_TEMPLATES.glob("*/email/*.txt"):
        is_subject = path.name.endswith("_subject.txt")
        text = path.read_text()
        facts = " ".join(re.findall(r"{% block notification_message %}(.*?){% endblock", text, re.DOTALL))
        for msgid in re.findall(
            r"{%\s*blocktrans(?:late)?[^%]*%}(.*?){%\s*endblocktrans(?:late)?\s*%}", text, re.DOTALL
        ):
            gettext_id = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", msgid)
            with translation.override("fr"):
                french = translation.gettext(gettext_id)
            for sentence, words in ((msgid, 3), (french, 99 if is_subject or msgid in facts else 7)):
                for piece in re.split(r"{{.*?}}|%\(\w+\)s|[\n.!:]", sentence):
                    piece = " ".join(piece.split())
                    if len(piece.split()) >= words:
                        pieces.add(piece)
    return pieces


STOCK = _stock_sentences()


def _plain(text: str, *, is_html: bool) -> str:
    """What the person reads; links and addresses become « lien »."""
    if is_html:  # a browser collapses the template's spaces and line breaks
        text = re.sub(r"[ \t]+", " ", html.unescape(strip_tags(text)).replace("\xa0", " "))
    return re.sub(r"https?://\S+|\S+@\S+", "lien", text)


@pytest.fixture
def strict_templates(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = INVALID
    settings.TEMPLATES = templates


def test_the_glob_finds_the_portal_mails_and_every_mail_of_the_auth_library():
    prefixes = {t.prefix for t in TEMPLATES}
    assert {
        "emails/welcome",
        "emails/request-status",
        "account/email/login_code",
        "account/email/email_confirmation_signup",
        "mfa/email/totp_activated",
    } <= prefixes
    for app in ("account", "mfa"):
        for subject in (ALLAUTH_TEMPLATES / app / "email").glob("*_subject.txt"):
            assert f"{app}/email/{subject.name.removesuffix('_subject.txt')}" in prefixes
    assert not any(p.startswith("socialaccount/") for p in prefixes), "socialaccount : pas installé"
    assert len(STOCK) > 30, "les phrases d'allauth n'ont pas été trouvées"


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.prefix for t in TEMPLATES])
def test_every_email_is_french_whole_and_signed_by_the_caisse(template, strict_templates):
    user = UserFactory.build(username=SAMPLE_NIR, first_name="Camille")
    rendered = render_email(template, {"user": user})
    parts = {"objet": rendered.subject, "texte": rendered.text, "HTML": rendered.html}
    for part, content in parts.items():
        where = f"{template.prefix} ({part})"
        assert content.strip(), f"{where} est vide"
        assert "@@VIDE" not in content, (
            f"{where} : variable vide {re.findall(r'@@VIDE:(.*?)@@', content)} : donnez-lui une valeur "
            "dans ameli_portal.email_catalog.sample_context, ou corrigez le modèle"
        )
        assert SAMPLE_NIR not in content, f"{where} montre le NIR (l'identifiant de connexion)"
        plain = _plain(content, is_html=part == "HTML")
        for line in plain.splitlines():
            for blank in BLANKS:
                assert not blank.search(line.strip()), f"{where} : trou dans « {line.strip()} »"
        assert not ENGLISH.findall(plain), f"{where} : de l'anglais : {ENGLISH.findall(plain)}"
        stock = [s for s in STOCK if s.lower() in " ".join(plain.split()).lower()]
        assert not stock, f"{where} : texte d'origine de la bibliothèque : {stock}"
    assert rendered.text.startswith("Bonjour"), template.prefix
    assert re.search(r"\bvous\b|\bvotre\b", rendered.text, re.IGNORECASE), template.prefix
    for part in ("text", "html"):
        assert settings.BRANDING["caisse_name"] in html.unescape(getattr(rendered, part)), (
            f"{template.prefix} ({part}) ne nomme pas la caisse"
        )
    assert settings.BRANDING["portal_name"] in html.unescape(rendered.html), template.prefix


def test_the_checks_catch_the_stock_text_and_a_blank_site_name():
    """The checks above can fail: allauth's own stock French mail breaks them."""
    stock = (ALLAUTH_TEMPLATES / "account/email/login_code_message.txt").read_text()
    with translation.override("fr"):
        french = translation.gettext("This mail can be safely ignored if you did not initiate this action.")
    assert french in " ".join(STOCK) or any(s in french for s in STOCK)
    assert any(s in stock for s in STOCK)
    assert BLANKS[0].search("pour se connecter à son compte sur .")
    assert ENGLISH.search("Hello from !")


@pytest.mark.django_db(transaction=True)
def test_the_sign_in_code_mail_really_sent_is_the_portal_s(client):
    """Through allauth's own flow: the mail that leaves is the French one, in the portal's frame."""
    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert last_code(user.email)
    message = mail.outbox[-1]
    assert message.subject == f"Votre code de connexion – {settings.BRANDING['portal_name']}"
    assert "Voici votre code de connexion" in message.body
    assert settings.BRANDING["caisse_name"] in message.body
    html_part = message.alternatives[0][0]
    assert last_code(user.email) in html_part and settings.BRANDING["portal_name"] in html_part
    assert user.username not in message.body + html_part
