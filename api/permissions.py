"""Who may do what through the API: the admin's model permissions, reading included.

DRF's DjangoModelPermissions lets anyone authenticated read; here reading needs the model's
view permission, as in the admin, writing needs add/change/delete, and every action needs
its own permission (the one its admin action checks) on top of view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import DjangoModelPermissions

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is loading
    from rest_framework.request import Request
    from rest_framework.views import APIView

VIEW = "%(app_label)s.view_%(model_name)s"


class ModelPermissions(DjangoModelPermissions):
    """Staff users with the model permissions of the method, or of the action.

    A view names the permissions of its actions in `action_permissions`
    (action name → permission names); the model's view permission is always needed too.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # answered 401 by DRF
        if not (user.is_active and user.is_staff):
            self.message = "Only staff users may use the API, as only they may use the admin."
            return False
        if getattr(view, "_ignore_model_permissions", False):  # the router's index
            return True
        if getattr(view, "action", "") is None:  # a method the endpoint lacks: 405, not 403
            return True
        queryset = self._queryset(view)
        required = self.required_permissions(request, view, queryset.model)
        missing = [perm for perm in required if not user.has_perm(perm)]
        if missing:
            noun = "permission" if len(missing) == 1 else "permissions"
            self.message = f"You need the {noun} {', '.join(missing)} for this."
            return False
        return True

    def required_permissions(self, request: Request, view: APIView, model: Any) -> list[str]:
        names = {"app_label": model._meta.app_label, "model_name": model._meta.model_name}
        action = getattr(view, "action", None)
        by_action: dict[str, list[str]] = getattr(view, "action_permissions", {})
        if action in by_action:
            return [VIEW % names, *by_action[action]]
        return self.get_required_permissions(request.method, model)
