"""Admin lists given filter or search values they cannot use (a NUL byte, which PostgreSQL
refuses in any text) answer with the list and a message, never a 5xx."""

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.urls import reverse

from tests.helpers import messages_of

pytestmark = pytest.mark.django_db


def changelists():
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        names = {SEARCH_VAR, "state", "status"}
        for list_filter in model_admin.list_filter:
            if isinstance(list_filter, str):
                names.add(list_filter)
            elif isinstance(list_filter, tuple):
                names.add(list_filter[0])
            elif getattr(list_filter, "parameter_name", None):
                names.add(list_filter.parameter_name)
        yield url, sorted(names)


@pytest.mark.parametrize("url,names", list(changelists()), ids=lambda v: str(v)[:60])
def test_a_nul_byte_in_any_filter_is_not_a_server_error(admin_client, url, names):
    for name in names:
        response = admin_client.get(url, {name: "\x00"})

        assert response.status_code in (200, 302), (name, response.status_code)


def test_the_filter_is_dropped_with_a_message(admin_client):
    url = reverse("admin:errors_syncerror_changelist")

    response = admin_client.get(url, {"state": "\x00", "operation": "push"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"{url}?operation=push"
    assert messages_of(response) == ["A filter value was not valid (state) and was ignored."]
