"""Tenant and connection input is checked with messages an admin can act on."""

import pytest
from django.core.exceptions import ValidationError

from syncconnections.csv_lists import split_csv, validate_domain_csv, validate_email_csv
from tests import factories


def test_split_csv_normalises():
    assert split_csv(" Contoso.com, ,contoso.nl,CONTOSO.com ") == ["contoso.com", "contoso.nl"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter at least one e-mail domain, e.g. contoso.com."),
        (
            "info@contoso.com",
            "“info@contoso.com” is an e-mail address; enter only its domain, e.g. contoso.com.",
        ),
        ("contoso", "“contoso” is not an e-mail domain such as contoso.com."),
        (
            "contoso.com, bad domain.com",
            "“bad domain.com” is not an e-mail domain such as contoso.com.",
        ),
    ],
)
def test_bad_domain_lists_are_refused(value, message):
    with pytest.raises(ValidationError) as caught:
        validate_domain_csv(value)
    assert caught.value.messages == [message]


def test_bad_notification_address_is_named():
    validate_email_csv("ops@contoso.com, it@contoso.com")
    with pytest.raises(ValidationError) as caught:
        validate_email_csv("ops@contoso.com, not-an-address")
    assert caught.value.messages == ["“not-an-address” is not a valid e-mail address."]


@pytest.mark.django_db
def test_tenant_normalises_its_lists():
    tenant = factories.TenantFactory(
        email_domains="Contoso.COM,contoso.nl", failure_notification_emails=" Ops@Contoso.com "
    )
    assert tenant.email_domains == "contoso.com, contoso.nl"
    assert tenant.failure_notification_list == ["ops@contoso.com"]
    assert tenant.accepts_mailbox("Room.A@CONTOSO.nl")
    assert not tenant.accepts_mailbox("room.a@fabrikam.com")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"resource": None},
            {"resource": ["Set the resource or the staff member this calendar belongs to."]},
        ),
        ({"staff": "new"}, {"staff": ["Set either a resource or a staff member, not both."]}),
        (
            {"active": True},
            {"active": ["Only a valid connection can be active: validate it first."]},
        ),
        (
            {"user_id": "room@fabrikam.com"},
            {"user_id": ["room@fabrikam.com is not in the e-mail domains of Acme (contoso.test)."]},
        ),
    ],
)
def test_connection_clean_explains_what_is_wrong(changes, errors):
    connection = factories.SyncConnectionFactory.build(
        tenant=factories.TenantFactory(name="Acme"), resource=factories.ResourceFactory()
    )
    for name, value in changes.items():
        setattr(connection, name, factories.StaffFactory() if value == "new" else value)

    with pytest.raises(ValidationError) as caught:
        connection.clean()

    assert caught.value.message_dict == errors
