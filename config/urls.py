from django.contrib import admin
from django.urls import include, path

from backoffice.health import healthz
from syncconnections.inbound import google_webhooks, webhooks

admin.site.site_header = "Bookbridge"
admin.site.site_title = "Bookbridge"
admin.site.index_title = "Back office"
# The lists need the width more than a second menu: the home page and breadcrumbs lead on.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("graph/notifications/", webhooks.notifications, name="graph-notifications"),
    path("graph/lifecycle/", webhooks.lifecycle, name="graph-lifecycle"),
    path("google/notifications/", google_webhooks.notifications, name="google-notifications"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
