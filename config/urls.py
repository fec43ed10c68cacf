from django.contrib import admin
from django.urls import path

from config.health import healthz

admin.site.site_header = "Bookbridge"
admin.site.site_title = "Bookbridge"
admin.site.index_title = "Back office"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
