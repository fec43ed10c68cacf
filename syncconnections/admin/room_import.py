"""The "Import rooms from Microsoft 365" page of the sync connections admin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from bookings.models import Location, Resource
from syncconnections import room_import
from syncconnections.google import GoogleError
from syncconnections.graph import GraphError
from syncconnections.models import Tenant


def import_rooms_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    tenants = list(Tenant.objects.order_by("name"))
    tenant = next((t for t in tenants if str(t.pk) == request.GET.get("tenant", "")), None)
    if tenant is None and len(tenants) == 1:
        tenant = tenants[0]
    if request.method == "POST" and tenant is not None:
        return _import(model_admin, request, tenant)
    rows, problem = [], ""
    if tenant is not None:
        try:
            rows = room_import.rooms_of(tenant)
        except (GraphError, GoogleError) as exc:
            service = "Google Workspace" if tenant.is_google else "Microsoft 365"
            problem = f"{service} did not list the rooms of {tenant}: {exc}"
        except ValueError as exc:  # a Google tenant's key file that is none
            problem = f"The rooms of {tenant} cannot be listed: {exc}"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import rooms from Google Workspace"
        if tenant is not None and tenant.is_google
        else "Import rooms from Microsoft 365",
        "tenants": tenants,
        "tenant": tenant,
        "rows": rows,
        "problem": problem,
        "resources": Resource.objects.select_related("location").order_by("location__name", "name"),
        "locations": Location.objects.order_by("name"),
        "may_add_resources": request.user.has_perm("bookings.add_resource"),
    }
    return TemplateResponse(request, "admin/syncconnections/import_rooms.html", context)


def _import(model_admin: Any, request: HttpRequest, tenant: Tenant) -> HttpResponse:
    wanted = request.POST.getlist("room")
    if not wanted:
        model_admin.message_user(
            request, "No rooms were ticked; nothing was imported.", messages.WARNING
        )
        return redirect(f"{request.path}?tenant={tenant.pk}")
    choices, missing = _choices(request, wanted)
    if missing:
        return _refuse(
            model_admin, request, tenant, [f"Choose a resource for: {', '.join(missing)}."]
        )
    result = room_import.import_rooms(
        tenant, choices, activate=request.user.has_perm("syncconnections.activate_syncconnection")
    )
    if result.problems:
        return _refuse(model_admin, request, tenant, result.problems)
    new = (
        f" New resources: {', '.join(map(str, result.new_resources))}."
        if result.new_resources
        else ""
    )
    model_admin.message_user(
        request,
        f"Created {len(result.created)} connection(s); they are being validated"
        + (" and become active once valid" if result.activate else "")
        + f". Already connected: {len(result.existing)}.{new}",
        messages.SUCCESS,
    )
    return redirect("admin:syncconnections_syncconnection_changelist")


def _choices(
    request: HttpRequest, wanted: list[str]
) -> tuple[dict[str, Resource | room_import.NewRoom], list[str]]:
    """What each ticked room is to be: a resource, or a new one ("new", with a location,
    for who may add resources); and the rooms with no usable choice."""
    may_add = request.user.has_perm("bookings.add_resource")
    values = {address: request.POST.get(f"resource:{address}", "") for address in wanted}
    resources = Resource.objects.in_bulk([int(v) for v in values.values() if v.isdigit()])
    locations = Location.objects.in_bulk(
        [int(v) for a in wanted if (v := request.POST.get(f"location:{a}", "")).isdigit()]
    )
    choices: dict[str, Resource | room_import.NewRoom] = {}
    missing = []
    for address, value in values.items():
        place = request.POST.get(f"location:{address}", "")
        location = locations.get(int(place)) if place.isdigit() else None
        name = request.POST.get(f"name:{address}", "").strip()[:200] or address
        capacity = request.POST.get(f"capacity:{address}", "")
        if value.isdigit() and int(value) in resources:
            choices[address] = resources[int(value)]
        elif value == "new" and may_add and location is not None:
            choices[address] = room_import.NewRoom(
                name, location, int(capacity) if capacity.isdigit() else None
            )
        else:
            missing.append(address)
    return choices, missing


def _refuse(model_admin: Any, request: HttpRequest, tenant: Tenant, problems: list[str]) -> Any:
    for problem in problems:
        model_admin.message_user(request, problem, messages.ERROR)
    model_admin.message_user(request, "Nothing was imported.", messages.ERROR)
    return redirect(f"{request.path}?tenant={tenant.pk}")
