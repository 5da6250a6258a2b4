"""The portal's addresses plus one page that does not begin to arrive until the test lets it: a
connection that the phone believes alive while nothing comes through (test_offline_forms)."""

import threading

from django.http import HttpResponse
from django.urls import path

from psm_portal.urls import urlpatterns as portal

released = threading.Event()  # the test clears it first


def never_starts(request):
    released.wait(30)
    return HttpResponse("<!doctype html><title>Akhirnya</title><h1>Akhirnya</h1>")


urlpatterns = [path("uji/tidak-sampai/", never_starts), *portal]
