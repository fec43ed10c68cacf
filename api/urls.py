"""/api/: the REST API (docs/api.md), its OpenAPI schema and its documentation page."""

from django.contrib.auth.decorators import login_required
from django.urls import path, re_path
from drf_spectacular import renderers
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers

from api import (
    availability,
    cancellations,
    company_log,
    conflicts,
    connections,
    oauth,
    places,
    reservations,
    series,
    stayntouch,
)
from api import sync_errors as errors_api
from api.errors import NOT_FOUND, not_found

app_name = "api"


class Router(routers.DefaultRouter):
    # /api/reservations.json and the like would double every path in the schema.
    include_format_suffixes = False


class SchemaView(SpectacularAPIView):
    """The schema in JSON unless YAML is asked for (?format=yaml), its errors too."""

    renderer_classes = [
        renderers.OpenApiJsonRenderer,
        renderers.OpenApiJsonRenderer2,
        renderers.OpenApiYamlRenderer,
        renderers.OpenApiYamlRenderer2,
    ]


router = Router()
router.register("reservations", reservations.ReservationViewSet, basename="reservation")
router.register("resources", places.ResourceViewSet, basename="resource")
router.register("reservation-series", series.ReservationSeriesViewSet, basename="reservationseries")
router.register("locations", places.LocationViewSet, basename="location")
router.register("accounts", stayntouch.AccountViewSet, basename="account")
router.register("sync-connections", connections.SyncConnectionViewSet, basename="syncconnection")
router.register("sync-errors", errors_api.SyncErrorViewSet, basename="syncerror")
router.register("company-log", company_log.CompanyLogViewSet, basename="companylogentry")
router.register(
    "cancellation-requests",
    cancellations.CancellationRequestViewSet,
    basename="cancellationrequest",
)
router.register("outlook-conflicts", conflicts.OutlookConflictViewSet, basename="outlookconflict")
router.register(
    "stayntouch-requests", stayntouch.StayNTouchRequestViewSet, basename="stayntouchrequest"
)

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    # A page for people: signed in through the admin's login, it tries requests with that
    # session. The split view serves its script as a file (?script), not inline: the
    # Content-Security-Policy allows scripts from this site only.
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema"), login_url="admin:login"
        ),
        name="docs",
    ),
    # OAuth2 client credentials for API clients (api/oauth.py); before the catch-all below.
    path("oauth/token/", oauth.TokenView.as_view(), name="token"),
    path("oauth/revoke/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
    path("availability/", availability.AvailabilityView.as_view(), name="availability"),
    *router.urls,
    re_path(r"^.*$", not_found, name=NOT_FOUND),
]
