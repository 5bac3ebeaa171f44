"""Render a Django template to an archival PDF with WeasyPrint."""

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


def _fetcher():
    from weasyprint.urls import URLFetcher

    class StaticFilesFetcher(URLFetcher):
        """data: URIs and the portal's own static files only: a PDF never reaches the network."""

        def __init__(self):
            super().__init__(allowed_protocols={"data", "file"})

        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = unquote(urlsplit(url).path)
                prefix = settings.STATIC_URL
                found = finders.find(path[len(prefix) :]) if path.startswith(prefix) else None
                if not found:
                    raise ValueError(f"ressource refusée dans un PDF : {path[:80]}")
                url = Path(found).as_uri()
            return super().fetch(url, headers)

    return StaticFilesFetcher()


_local = threading.local()


def _font_config():
    """One font configuration per thread, reused by every render.

    A new one per render (WeasyPrint's default) makes a process grow by about 0.3 MB a
    document and costs time; the portal's PDFs use system fonts only (no @font-face, which
    a shared configuration would accumulate), so reusing it is safe.
    """
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
    return _local.font_config


def _stylesheet(path: str):
    """A static CSS file (``css/pdf/...``), parsed once per thread and kept with its fonts."""
    from weasyprint import CSS

    if getattr(_local, "stylesheets", None) is None:
        _local.stylesheets = {}
    sheets = _local.stylesheets
    if path not in sheets:
        found = finders.find(path)
        if not found:
            raise ValueError(f"feuille de style introuvable : {path}")
        sheets[path] = CSS(filename=found, font_config=_font_config(), url_fetcher=_fetcher())
    return sheets[path]


def render_pdf(
    template_name: str, context: dict, *, variant: str = "pdf/a-3a", stylesheets: tuple[str, ...] = ()
) -> bytes:
    """Return the PDF bytes of ``template_name`` rendered with ``context``.

    PDF/A-3a by default: the documents the portal issues are meant to be kept (PDF/A), and
    level A tags their structure (headings, tables, reading order) for screen readers.
    ``/static/...`` references resolve to the portal's static files. ``stylesheets`` are
    static paths of CSS files parsed once per thread rather than at each render, as a
    ``<style>`` is (a few ms a page); they apply over WeasyPrint's defaults like the page's
    own styles (without template tags: what varies goes through the HTML, e.g. ``attr()``).
    """
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url="file:///", url_fetcher=_fetcher())
    return document.write_pdf(
        pdf_variant=variant,
        font_config=_font_config(),
        stylesheets=[_stylesheet(path) for path in stylesheets],
    )
