from django.urls import path

from benchmarks.bare.api import api

urlpatterns = [path("api/", api.urls)]
