"""Demo message boxes: a conversation answered by the caisse, a notice, and one message unread.

Written straight to the tables, backdated, and without the emails that the services send:
demo history, not something happening now. Idempotent: a box that has conversations is left alone
(notices from démarches do not count).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Insured, User
from ameli_portal.formats import first_name

from .models import Message, Thread

CAISSE = Message.AuthorKind.CAISSE
INSURED = Message.AuthorKind.INSURED


def _thread(
    insured,
    *,
    topic,
    subject,
    kind=Thread.Kind.CONVERSATION,
    status=Thread.Status.OPEN,
    messages,
    awaiting=False,
) -> Thread:
    """``messages``: (author kind, author, days ago, body, read) from oldest to newest."""
    now = timezone.now()
    first = now - timedelta(days=messages[0][2])
    last = now - timedelta(days=messages[-1][2])
    thread = Thread.objects.create(
        insured=insured,
        topic=topic,
        subject=subject,
        kind=kind,
        status=status,
        awaiting_answer=awaiting,
        last_message_at=last,
    )
    Thread.objects.filter(pk=thread.pk).update(created_at=first)
    for author_kind, author, days, body, read in messages:
        sent = now - timedelta(days=days)
        message = Message.objects.create(thread=thread, author_kind=author_kind, author=author, body=body)
        Message.objects.filter(pk=message.pk).update(
            created_at=sent, read_at=sent + timedelta(hours=3) if read else None
        )
    return thread


@transaction.atomic
def seed_demo_messages(insured: Insured) -> list[Thread]:
    """A conversation with the caisse's answer (unread), a notice (read), an open question."""
    if insured.threads.filter(kind=Thread.Kind.CONVERSATION).exists():
        return []
    user = getattr(insured, "user", None)
    agent = User.objects.filter(username="conseiller", is_staff=True).first()
    given_name = first_name(insured.first_names)
    return [
        _thread(
            insured,
            topic=Thread.Topic.REIMBURSEMENTS,
            subject="Remboursement d'une consultation chez un spécialiste",
            messages=[
                (
                    INSURED,
                    user,
                    9,
                    "Bonjour,\n\nJ'ai consulté un dermatologue le mois dernier et je ne "
                    "vois pas encore le remboursement dans mon compte. Pouvez-vous vérifier ?\n\nMerci.",
                    True,
                ),
                (
                    CAISSE,
                    agent,
                    2,
                    f"Bonjour {given_name},\n\nNous avons bien reçu la feuille de soins : "
                    "le remboursement a été effectué cette semaine, vous le verrez dans « Mes paiements ». "
                    "Sans passer par votre médecin traitant, le taux de remboursement est réduit.\n\n"
                    "Cordialement,\nVotre conseiller",
                    False,
                ),
            ],
        ),
        _thread(
            insured,
            topic=Thread.Topic.ATTESTATIONS,
            kind=Thread.Kind.NOTICE,
            subject="Votre attestation de droits est disponible",
            messages=[
                (
                    CAISSE,
                    None,
                    20,
                    "Votre attestation de droits a été mise à jour. Vous pouvez la "
                    "télécharger à tout moment dans la rubrique « Mes attestations ».",
                    True,
                ),
            ],
        ),
        _thread(
            insured,
            topic=Thread.Topic.CARTE_VITALE,
            awaiting=True,
            subject="Changement de photo sur ma carte Vitale",
            messages=[
                (INSURED, user, 1, "Bonjour,\n\nComment changer la photo de ma carte Vitale ?", False),
            ],
        ),
    ]


def seed() -> list[str]:
    """Called by ``manage.py seed_demo``: a message box for each demo person with an account."""
    count = 0
    for insured in Insured.objects.filter(user__isnull=False).order_by("pk"):
        count += bool(seed_demo_messages(insured))
    return [f"messagerie   {count} boîte(s) de démonstration remplie(s)"] if count else []
