"""Render a Django template to an archival PDF with WeasyPrint."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


def _static_fetcher(url: str):
    """Serve /static/ files from disk so PDFs never fetch anything over the network."""
    from weasyprint.urls import default_url_fetcher

    prefix = settings.STATIC_URL
    if url.startswith(prefix) or url.startswith("file://"):
        path = url[len(prefix) :] if url.startswith(prefix) else None
        found = finders.find(path) if path else None
        if found:
            return {"file_obj": open(found, "rb"), "filename": found}  # noqa: SIM115
    if url.startswith("data:"):
        return default_url_fetcher(url)
    raise ValueError(f"ressource externe refusée dans un PDF : {url[:80]}")


def render_pdf(template_name: str, context: dict, *, variant: str = "pdf/a-3b") -> bytes:
    """Return the PDF bytes of ``template_name`` rendered with ``context``.

    PDF/A-3b by default: the documents the portal issues are meant to be kept.
    """
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=settings.STATIC_URL, url_fetcher=_static_fetcher)
    return document.write_pdf(pdf_variant=variant)
