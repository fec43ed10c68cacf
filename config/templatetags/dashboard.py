from __future__ import annotations

from typing import Any

from django import template

from config.dashboard import sync_health

register = template.Library()


@register.inclusion_tag("admin/sync_health.html", takes_context=True)
def sync_health_panel(context: dict[str, Any]) -> dict[str, Any]:
    return {"sections": sync_health(context["request"].user)}
