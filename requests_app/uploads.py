"""Checking what an insured person uploads: by content, never by the name.

A file is accepted when its first bytes say PDF, JPEG or PNG *and* it parses as
such (pypdf for a PDF, Pillow for an image), it weighs at most 5 MB, and the
request holds at most 5 files in all.

Virus scan: ``settings.ATTACHMENT_SCANNER`` may name a callable (dotted path)
called as ``scanner(data: bytes, *, name: str) -> bool``; it returns False (or
raises) for a file to refuse. Unset or None (the default): no scan.
"""

import hashlib
import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from .models import Attachment

logger = logging.getLogger(__name__)

MAX_SIZE = 5 * 1024 * 1024
MAX_FILES = 5
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
HELP = "PDF, JPEG ou PNG, 5 Mo au plus par fichier, 5 fichiers au plus par démarche."

MAGIC = [
    (b"%PDF-", Attachment.ContentType.PDF),
    (b"\xff\xd8\xff", Attachment.ContentType.JPEG),
    (b"\x89PNG\r\n\x1a\n", Attachment.ContentType.PNG),
]
PIL_FORMATS = {Attachment.ContentType.JPEG: "JPEG", Attachment.ContentType.PNG: "PNG"}


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    content_type: str
    original_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _name(uploaded) -> str:
    # Kept for display only, and shortened: never used to store or to decide the type.
    name = str(getattr(uploaded, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())[:120]


def sniff(data: bytes) -> str | None:
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def _parses(data: bytes, content_type: str) -> bool:
    try:
        if content_type == Attachment.ContentType.PDF:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data), strict=False)
            return len(reader.pages) > 0
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            if image.format != PIL_FORMATS[content_type]:
                return False
            image.verify()
        return True
    except Exception:  # noqa: BLE001 - any parser error means "not a valid file of this type"
        return False


def scan(data: bytes, *, name: str) -> bool:
    path = getattr(settings, "ATTACHMENT_SCANNER", None)
    if not path:
        return True
    scanner = import_string(path)
    try:
        return bool(scanner(data, name=name))
    except Exception:  # noqa: BLE001 - a scanner that fails refuses the file
        logger.exception("attachment scanner failed")
        return False


def check_upload(uploaded) -> CheckedUpload:
    """The file's bytes and detected type, or a ValidationError in French."""
    name = _name(uploaded)
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_SIZE:
        raise ValidationError(f"« {name} » dépasse 5 Mo.", code="too_big")
    uploaded.seek(0)
    data = uploaded.read(MAX_SIZE + 1)
    if len(data) > MAX_SIZE:
        raise ValidationError(f"« {name} » dépasse 5 Mo.", code="too_big")
    if not data:
        raise ValidationError(f"« {name} » est vide.", code="empty")
    content_type = sniff(data)
    if content_type is None or not _parses(data, content_type):
        raise ValidationError(
            f"« {name} » n'est pas un fichier PDF, JPEG ou PNG valide (le contenu du fichier "
            "est vérifié, pas seulement son nom).",
            code="type",
        )
    if not scan(data, name=name):
        raise ValidationError(f"« {name} » a été refusé par l'analyse antivirus.", code="virus")
    return CheckedUpload(
        data=data, content_type=content_type, original_name=name, sha256=hashlib.sha256(data).hexdigest()
    )


def check_count(*, existing: int, adding: int) -> None:
    if existing + adding > MAX_FILES:
        left = max(MAX_FILES - existing, 0)
        raise ValidationError(
            f"Une démarche compte au plus {MAX_FILES} fichiers : vous pouvez en ajouter {left} au plus.",
            code="too_many",
        )
