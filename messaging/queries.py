"""Reads for the insured person's pages and the header counter."""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Message, Thread


def unread_count(insured_id: int) -> int:
    """Messages from the caisse the insured person has not opened: one query."""
    return Message.objects.filter(
        thread__insured_id=insured_id, author_kind=Message.AuthorKind.CAISSE, read_at__isnull=True
    ).count()


def inbox_threads(insured_id: int):
    """The insured person's threads, newest first, each with its count of unread messages.

    A subquery rather than a join: the paginator's count() then leaves it out.
    """
    unread = (
        Message.objects.filter(
            thread=OuterRef("pk"), author_kind=Message.AuthorKind.CAISSE, read_at__isnull=True
        )
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Thread.objects.filter(insured_id=insured_id)
        .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .order_by("-last_message_at", "-pk")
    )


def home_messages(home, insured, since) -> None:
    """« Mon espace »: the caisse's messages since the last visit."""
    if since is not None:
        home.new_messages = Message.objects.filter(
            thread__insured=insured,
            author_kind=Message.AuthorKind.CAISSE,
            created_at__gt=since,
        ).count()
