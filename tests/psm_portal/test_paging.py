"""List totals: large ones kept briefly in the shared cache, small ones always exact, and a cache
outage costs only a count."""

import pytest
from django.core.cache import cache

from psm_portal.paging import CachedCountPaginator
from registry.models import Psm
from tests.factories import PsmFactory


@pytest.fixture
def five_psm(regions):
    cache.clear()
    return [PsmFactory() for _ in range(5)]


def test_a_large_total_is_counted_once_for_a_while(five_psm, settings, django_assert_num_queries):
    settings.PSM_COUNT_CACHE_MIN_ROWS = 5
    rows = Psm.objects.order_by("pk")
    assert CachedCountPaginator(rows, 2).count == 5
    PsmFactory()
    with django_assert_num_queries(0):
        assert CachedCountPaginator(rows, 2).count == 5  # the kept total, until it expires
    assert CachedCountPaginator(rows.filter(status="calon"), 2).count == 6  # another query
    cache.clear()
    assert CachedCountPaginator(rows, 2).count == 6


def test_a_small_total_is_always_exact(five_psm, settings):
    settings.PSM_COUNT_CACHE_MIN_ROWS = 10
    rows = Psm.objects.order_by("pk")
    assert CachedCountPaginator(rows, 2).count == 5
    PsmFactory()
    assert CachedCountPaginator(rows, 2).count == 6


def test_an_empty_in_filter_counts_nothing(five_psm, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert CachedCountPaginator(Psm.objects.filter(pk__in=[]).order_by("pk"), 2).count == 0


def test_a_cache_outage_costs_a_count_not_the_page(five_psm, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.PSM_COUNT_CACHE_MIN_ROWS = 1
    assert CachedCountPaginator(Psm.objects.order_by("pk"), 2).count == 5


def test_a_page_past_the_end_of_a_shrunk_list_counts_again(five_psm, settings):
    settings.PSM_COUNT_CACHE_MIN_ROWS = 5
    rows = Psm.objects.order_by("pk")
    assert CachedCountPaginator(rows, 2).get_page(3).object_list  # 5 rows: pages 1-3
    Psm.objects.filter(pk__in=[p.pk for p in five_psm[:3]]).delete()  # 2 left
    page = CachedCountPaginator(rows, 2).get_page(3)
    assert page.number == 1 and page.paginator.count == 2
    assert [p.pk for p in page.object_list] == [p.pk for p in five_psm[3:]]


def test_built_pages_are_loaded_once_as_their_rows(five_psm, settings, django_assert_num_queries):
    """With ``build`` the page holds what it returns, and a later page of a kept total is read
    once (the emptiness check used to load the slice as models, then the view again as rows)."""
    settings.PSM_COUNT_CACHE_MIN_ROWS = 5
    rows = Psm.objects.order_by("pk")

    def names(page_queryset):
        return list(page_queryset.values_list("nama", flat=True))

    assert CachedCountPaginator(rows, 2, build=names).count == 5  # kept from now on
    with django_assert_num_queries(1):
        page = CachedCountPaginator(rows, 2, build=names).get_page(2)
    assert page.object_list == [p.nama for p in five_psm[2:4]]
    Psm.objects.filter(pk__in=[p.pk for p in five_psm[:3]]).delete()  # the kept total is stale
    page = CachedCountPaginator(rows, 2, build=names).get_page(3)
    assert page.number == 1 and page.object_list == [p.nama for p in five_psm[3:]]
