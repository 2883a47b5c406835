"""Fixtures the import attack tests share: a second source, a superuser and a staff member
who may import lists but nothing else."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from directory.models import ImportSource


@pytest.fixture
def other_source(db):
    return ImportSource.objects.create(
        name="Autre réseau", slug="autre", licence="ODbL 1.0", publish=True
    )


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("chef", "chef@example.org", "x")


@pytest.fixture
def importer(db):
    user = get_user_model().objects.create_user("importeur", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_actors"))
    return user
