"""Validation of the comma-separated lists admins type into tenant settings."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def split_csv(value: str) -> list[str]:
    """Lower-cased, stripped, de-duplicated entries of a comma-separated list, in order."""
    entries = (entry.strip().lower() for entry in (value or "").split(","))
    return list(dict.fromkeys(entry for entry in entries if entry))


def validate_domain_csv(value: str) -> None:
    domains = split_csv(value)
    if not domains:
        raise ValidationError("Enter at least one e-mail domain, e.g. contoso.com.")
    for domain in domains:
        if "@" in domain:
            raise ValidationError(
                f"“{domain}” is an e-mail address; enter only its domain, e.g. "
                f"{domain.rsplit('@', 1)[1] or 'contoso.com'}."
            )
        if not _DOMAIN.match(domain):
            raise ValidationError(f"“{domain}” is not an e-mail domain such as contoso.com.")


def validate_email_csv(value: str) -> None:
    for address in split_csv(value):
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"“{address}” is not a valid e-mail address.") from None
