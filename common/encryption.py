"""Secrets encrypted at rest with Fernet, keyed by settings.FIELD_ENCRYPTION_KEY.

FIELD_ENCRYPTION_KEY is a list of Fernet keys. The first one encrypts; every one of them
decrypts, so a key is rotated by putting the new key first, running
`manage.py rotate_encryption_key`, and then dropping the old key.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class SecretDecryptionError(ImproperlyConfigured):
    """A stored secret cannot be read with any of the configured keys."""


def _development_key() -> bytes:
    # Only reachable with DEBUG on (settings refuse to start without a key otherwise).
    digest = hashlib.sha256(f"field-encryption:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEY or [_development_key()]
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY entry {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes). Generate one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from exc
    return MultiFernet(fernets)


@receiver(setting_changed)
def _forget_keys(setting: str, **kwargs: Any) -> None:
    if setting in ("FIELD_ENCRYPTION_KEY", "SECRET_KEY"):
        _fernet.cache_clear()


def check_keys() -> None:
    """Raise ImproperlyConfigured when a configured key is unusable."""
    _fernet()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEY; "
            "was a key removed before `rotate_encryption_key` ran?"
        ) from exc


class SecretInput(forms.PasswordInput):
    """Never renders the stored value back into the page."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False
        )


class SecretFormField(forms.CharField):
    widget = SecretInput

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Blank means "keep the stored secret", so only a typed value is a change.
        return bool(data)


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the plaintext.

    Encryption is randomised, so the column cannot be filtered on.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)

    def formfield(self, **kwargs: Any) -> forms.Field:
        # Whatever widget a caller (the admin, say) asks for, a secret is never rendered back.
        # Blank on a change form means "keep the stored secret" (see SecretFieldsAdminMixin).
        return super().formfield(
            **{**kwargs, "form_class": SecretFormField, "widget": SecretInput, "required": False}
        )

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        if data:
            super().save_form_data(instance, data)

    def value_to_string(self, obj: models.Model) -> str:
        # Serialised data (dumpdata, fixtures) never carries a secret, not even encrypted.
        return ""
