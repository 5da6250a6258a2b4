"""Paging long lists whose total is expensive to count.

Counting a national list (250,000 PSM, 90,000 cases waiting for review) costs more than showing
its 25 rows: 8-13 ms of PostgreSQL on every page view, measured at the national preset. A total
at least ``PSM_COUNT_CACHE_MIN_ROWS`` is kept in the shared cache for ``PSM_COUNT_CACHE_SECONDS``
(keyed by the query itself, so two accounts share it only when they ask exactly the same thing).
Smaller totals, what a kab/kota office sees, are always counted exactly; the rows are always live.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)


class CachedCountPaginator(Paginator):
    """``build``, if given, turns a page's slice of the queryset into what the page shows (value
    rows with their details, one query each): the paginator counts the queryset itself, and a
    page is loaded once, as its rows."""

    _kept_key = None  # set when the total came from the cache

    def __init__(self, object_list, per_page, *args, build=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.build = build

    def _get_page(self, object_list, number, paginator):
        if self.build is not None:
            object_list = self.build(object_list)
        return super()._get_page(object_list, number, paginator)

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:
            return 0
        key = "count:" + hashlib.sha256(f"{sql}{params!r}".encode()).hexdigest()
        try:
            cached = cache.get(key)
        except Exception:  # a cache outage costs a count, never the page
            logger.warning("cache unavailable for a list total", exc_info=True)
            return queryset.count()
        if cached is not None:
            self._kept_key = key
            return cached
        total = queryset.count()
        if total >= settings.PSM_COUNT_CACHE_MIN_ROWS:
            try:
                cache.set(key, total, settings.PSM_COUNT_CACHE_SECONDS)
            except Exception:
                logger.warning("cache unavailable for a list total", exc_info=True)
        return total

    def page(self, number):
        page = super().page(number)
        if self._kept_key and page.number > 1 and not len(page.object_list):
            # The list shrank since its total was kept (verifiers working through the queue):
            # count again and answer the real last page rather than an empty one.
            try:
                cache.delete(self._kept_key)
            except Exception:
                logger.warning("cache unavailable for a list total", exc_info=True)
            self._kept_key = None
            for name in ("count", "num_pages"):
                self.__dict__.pop(name, None)
            return super().page(min(page.number, self.num_pages))
        return page
