"""manage.py bootstrap: first-run data for ./dev run, and a no-op afterwards."""

import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from directory.models import Actor
from geodata.models import Commune

pytestmark = pytest.mark.django_db


def test_bootstrap_fills_an_empty_directory_once(tmp_path):
    communes = Commune.objects.count()
    password_file = tmp_path / "admin_password"
    call_command("bootstrap", "--admin-password-file", str(password_file), verbosity=0)
    assert Actor.objects.count() == 600
    assert Commune.objects.count() == communes  # territories were there: not re-imported
    admin = get_user_model().objects.get(username="admin")
    password = password_file.read_text().strip()
    assert admin.is_superuser and admin.check_password(password) and len(password) >= 16
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600

    # Second run: nothing changes, the password is not reset.
    Actor.objects.filter(pk=Actor.objects.first().pk).update(name="Modifié à la main")
    call_command("bootstrap", "--admin-password-file", str(password_file), verbosity=0)
    assert Actor.objects.count() == 600 and Actor.objects.filter(name="Modifié à la main").exists()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert password_file.read_text().strip() == password


def test_bootstrap_without_demo_and_with_an_existing_admin(tmp_path, django_user_model):
    django_user_model.objects.create_superuser("chef", "c@example.org", "pw")
    call_command(
        "bootstrap", "--no-demo", "--admin-password-file", str(tmp_path / "pw"), verbosity=0
    )
    assert not Actor.objects.exists()
    assert not (tmp_path / "pw").exists()
