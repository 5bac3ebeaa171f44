"""Pages by cursor: an opaque token in ``next`` and ``previous``, newest first."""

from ninja import Field, Schema
from ninja.pagination import CursorPagination

MAX_PAGE = 100


class Cursor(CursorPagination):
    class Input(Schema):
        page_size: int | None = Field(
            None, ge=1, le=MAX_PAGE, description=f"20 par défaut, {MAX_PAGE} au plus."
        )
        cursor: str | None = Field(
            None, description="Le jeton opaque d'une réponse précédente (« next » ou « previous »)."
        )
