"""Who may see what: the same 404 for "not found" and "not yours"."""

from django.shortcuts import get_object_or_404

from accounts.access import get_insured_for_user

from .models import Document


def get_document_for_user(user, public_id) -> Document:
    insured = get_insured_for_user(user)
    # A letter's document has no file of its own: the letter is printed and posted, never
    # downloaded (it carries the provisional code).
    return get_object_or_404(
        Document.objects.exclude(kind=Document.Kind.CODE_LETTER), owner=insured, public_id=public_id
    )


def home_documents(home, insured, since) -> None:
    """« Mon espace »: the person's documents ready to download, newest first."""
    from accounts.home import READY_DOCUMENTS

    home.documents = list(
        Document.objects.filter(owner=insured, status=Document.Status.READY, revoked_at__isnull=True)
        .exclude(kind=Document.Kind.CODE_LETTER)
        .order_by("-issued_at", "-pk")[:READY_DOCUMENTS]
    )
