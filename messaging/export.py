"""The person's conversations with the caisse and its notices."""

from accounts.data_export import rows

from .models import Message, Thread


def export(insured) -> dict:
    return {
        "threads": rows(Thread.objects.filter(insured=insured), "insured"),
        "messages": rows(Message.objects.filter(thread__insured=insured)),
    }
