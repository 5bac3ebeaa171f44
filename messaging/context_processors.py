from functools import cache

from .queries import unread_count


def unread_messages(request):
    """``unread_messages``: the header's counter for a signed-in insured person.

    A callable, which templates call when they use it: pages that never show the
    counter, anonymous visitors and staff cost no query, and ``{% with %}`` or
    repeated uses cost one.
    """

    @cache
    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(user, "insured_id", None) is None:
            return 0
        return unread_count(user.insured_id)

    return {"unread_messages": count}
