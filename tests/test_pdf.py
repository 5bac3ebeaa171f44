"""PDFs only ever read the portal's own static files and data: URIs."""

import pytest

from ameli_portal.pdf import _fetcher


def test_static_files_are_served_to_weasyprint():
    response = _fetcher().fetch("file:///static/css/portal.css")
    assert response is not None


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/x.png", "file:///etc/passwd", "file:///static/../../etc/passwd"]
)
def test_anything_else_is_refused(url):
    with pytest.raises(Exception):  # noqa: B017 - WeasyPrint's own or ours, both refuse
        _fetcher().fetch(url)
