"""Seed the reference lists: the essentials of the 2020 rural-basket handbook."""

from django.db import migrations

from directory.reference_data import CATEGORIES, LABELS, SALE_MODES
from directory.reference_data import seed as seed_references


def seed(apps, schema_editor):
    seed_references(
        apps.get_model("directory", "Category"),
        apps.get_model("directory", "Label"),
        apps.get_model("directory", "SaleMode"),
    )


def unseed(apps, schema_editor):
    for model, rows in (("Category", CATEGORIES), ("Label", LABELS), ("SaleMode", SALE_MODES)):
        apps.get_model("directory", model).objects.filter(slug__in=[r[0] for r in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_actors_schedules_and_distribution")]
    operations = [migrations.RunPython(seed, unseed)]
