"""Admin building blocks shared by the apps."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString


def pretty_json(value: Any) -> SafeString | str:
    """JSON rendered readably (indented, sorted) for a read-only admin field."""
    if value in (None, "", {}, []):
        return "—"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return format_html('<pre class="bb-json">{}</pre>', value)
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre class="bb-json">{}</pre>', text)


def is_changelist(request: HttpRequest) -> bool:
    """Whether the admin is rendering a list (not autocomplete, not a change page)."""
    match = request.resolver_match
    return bool(match and match.url_name and match.url_name.endswith("_changelist"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """For log-like models written only by the system: viewable, never added or edited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SecretFieldsAdminMixin:
    """Forms for models with EncryptedTextFields named in `secret_fields`.

    Editors see a password box that is always empty; leaving it blank keeps the stored
    secret. Viewers without change permission see only whether a secret is set.
    """

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            setattr(self, self._status_name(name), self._status_display(name))

    @staticmethod
    def _status_name(name: str) -> str:
        return f"{name}_status"

    def _status_display(self, name: str) -> Any:
        label = self.model._meta.get_field(name).verbose_name

        @admin.display(description=label)
        def status(obj: Any) -> str:
            return "Set" if getattr(obj, name) else "Not set"

        return status

    def _viewing_only(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if not self._viewing_only(request, obj):
            return fieldsets
        swap = {name: self._status_name(name) for name in self.secret_fields}

        def swapped(field: Any) -> Any:
            if isinstance(field, list | tuple):  # a row of fields
                return tuple(swap.get(f, f) for f in field)
            return swap.get(field, field)

        return [
            (title, {**options, "fields": [swapped(f) for f in options["fields"]]})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if self._viewing_only(request, obj):
            readonly += [self._status_name(name) for name in self.secret_fields]
        return readonly

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        for name in self.secret_fields:
            field = form.base_fields.get(name)
            if field is None:
                continue
            is_set = bool(obj is not None and getattr(obj, name))
            field.required = not is_set and not self.model._meta.get_field(name).blank
            if is_set:
                field.widget.attrs["placeholder"] = "•••••••• stored — leave blank to keep it"
        return form
