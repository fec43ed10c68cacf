"""The "Import rooms from Microsoft 365" page of the sync connections admin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from bookings.models import Resource
from syncconnections import room_import
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
        except GraphError as exc:
            problem = f"Microsoft 365 did not list the rooms of {tenant}: {exc}"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import rooms from Microsoft 365",
        "tenants": tenants,
        "tenant": tenant,
        "rows": rows,
        "problem": problem,
        "resources": Resource.objects.select_related("location").order_by("location__name", "name"),
    }
    return TemplateResponse(request, "admin/syncconnections/import_rooms.html", context)


def _import(model_admin: Any, request: HttpRequest, tenant: Tenant) -> HttpResponse:
    wanted = request.POST.getlist("room")
    resource_ids = {address: request.POST.get(f"resource:{address}", "") for address in wanted}
    resources = Resource.objects.in_bulk([int(v) for v in resource_ids.values() if v.isdigit()])
    missing = [
        address
        for address, value in resource_ids.items()
        if not value.isdigit() or int(value) not in resources
    ]
    if missing:
        model_admin.message_user(
            request,
            f"Choose a resource for: {', '.join(missing)}. Nothing was imported.",
            messages.ERROR,
        )
        return redirect(f"{request.path}?tenant={tenant.pk}")
    if not wanted:
        model_admin.message_user(
            request, "No rooms were ticked; nothing was imported.", messages.WARNING
        )
        return redirect(f"{request.path}?tenant={tenant.pk}")
    result = room_import.import_rooms(
        tenant,
        {address: resources[int(resource_ids[address])] for address in wanted},
        activate=request.user.has_perm("syncconnections.activate_syncconnection"),
    )
    model_admin.message_user(
        request,
        f"Created {len(result.created)} connection(s); they are being validated"
        + (" and become active once valid" if result.activate else "")
        + f". Already connected: {len(result.existing)}.",
        messages.SUCCESS,
    )
    return redirect("admin:syncconnections_syncconnection_changelist")
