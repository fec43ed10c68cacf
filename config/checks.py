from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from common.encryption import check_keys


@checks.register(checks.Tags.security)
def field_encryption_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        check_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="bookbridge.E001")]
    return []
