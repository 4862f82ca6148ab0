"""Every model is usable in the admin: its list, search and add pages render."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_data(client, django_user_model):
    call_command("seed_demo", stdout=StringIO())
    root = django_user_model.objects.create_superuser("root", "root@shop.test", "pw-root-123")
    client.force_login(root)
    return client


def test_every_registered_model_lists_searches_adds_and_changes(admin_client_with_data):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client_with_data.get(changelist).status_code == 200, changelist
        if model_admin.search_fields:
            assert admin_client_with_data.get(changelist, {"q": "a"}).status_code == 200, changelist
        if model_admin.has_add_permission(
            type("R", (), {"user": type("U", (), {"has_perm": lambda *a: True})()})()
        ):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert admin_client_with_data.get(add).status_code == 200, add
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert admin_client_with_data.get(change).status_code == 200, change
