"""The person's démarches, each with its history and the list of its attachments."""

from accounts.data_export import rows

from .models import Attachment, Request, RequestEvent


def export(insured) -> dict:
    return {
        "requests": rows(Request.objects.filter(insured=insured), "insured"),
        "request_events": rows(RequestEvent.objects.filter(request__insured=insured)),
        "request_attachments": rows(Attachment.objects.filter(request__insured=insured), "file"),
    }
