import io
import re

from django.core import mail


def last_code(to: str, *, digits: int = 6) -> str:
    """The code in the last email sent to ``to`` (what the person would read)."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = re.search(rf"\b(\d{{{digits}}})\b", message.body)
            assert found, message.body
            return found.group(1)
    raise AssertionError(f"aucun courriel pour {to}")


def letter_code(letter) -> str:
    """The provisional code as printed on the letter (read from the PDF)."""
    from pypdf import PdfReader

    letter.pdf.open("rb")
    try:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.pdf.read())).pages)
    finally:
        letter.pdf.close()
    found = re.search(r"\b(\d{4}) ?(\d{4})\b", text)
    assert found, text
    return found.group(1) + found.group(2)
