"""The Django cache on Redis, which a Redis outage never turns into an error.

django-redis with ``IGNORE_EXCEPTIONS`` (settings ``CACHES``) makes a read a miss
and drops a write when Redis does not answer. One method needs another answer:
see :class:`RedisCache`. :class:`OneLineCacheErrors` keeps the log readable.
"""

import logging

from django_redis.cache import RedisCache as _RedisCache
from django_redis.cache import omit_exception


class RedisCache(_RedisCache):
    """django-redis, whose ``add()`` says "added" while Redis is down.

    allauth's rate limits (and ours, which use them) take a lock with ``cache.add()``
    before counting a hit. django-redis answers ``None`` to an ignored ``add()``, so the
    lock would never be granted: each login, reset or sign-up step would wait a second
    and then be refused as "too many attempts", locking everyone out for the whole
    outage. With no store, there is nothing to lock: the lock is granted, the count
    reads as empty and is not kept (the limits fail open; the database floors hold).
    """

    @omit_exception(return_value=True)
    def add(self, *args, **kwargs):
        return self.client.add(*args, **kwargs)


class OneLineCacheErrors(logging.Filter):
    """One line per ignored cache error (django-redis logs each with its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            cause = error.__cause__ or error
            record.msg = "cache Redis indisponible, opération ignorée : %s: %s"
            record.args = (type(cause).__name__, cause)
            record.exc_info = record.exc_text = None
            # handled: the page is served without the cache
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
