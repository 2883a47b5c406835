"""A stored, indexed public position for every listing (issue 16: the house of a home-based
producer must not be found through distances, bbox filters or clusters)."""

import django.contrib.gis.db.models.fields
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import PointOnSurface, SnapToGrid
from django.db import migrations, models
from django.db.models import Case, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce

# The rule of directory.models.position, frozen here: migrations never import app code
# that may change later.
GRID_DEGREES = 0.1


def fill_public_location(apps, schema_editor):
    Actor = apps.get_model("directory", "Actor")
    Commune = apps.get_model("geodata", "Commune")
    db = schema_editor.connection.alias
    point = PointField(srid=4326)
    of_commune = (
        Commune.objects.using(db)
        .filter(pk=OuterRef("commune_id"))
        .annotate(point=Coalesce("townhall", PointOnSurface("outline"), output_field=point))
    )
    Actor.objects.using(db).update(
        public_location=Case(
            When(
                location_is_approximate=True,
                then=Coalesce(
                    Subquery(of_commune.values("point")[:1]),
                    SnapToGrid("location", GRID_DEGREES),
                    output_field=point,
                ),
            ),
            default=F("location"),
            output_field=point,
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0012_private_import_files"),
        ("geodata", "0001_territories"),
    ]

    operations = [
        migrations.AddField(
            model_name="actor",
            name="public_location",
            field=django.contrib.gis.db.models.fields.PointField(
                editable=False, null=True, srid=4326, verbose_name="position publique"
            ),
        ),
        migrations.RunPython(fill_public_location, migrations.RunPython.noop),
        # A constraint rather than NOT NULL: SpatiaLite cannot alter a geometry column.
        migrations.AddConstraint(
            model_name="actor",
            constraint=models.CheckConstraint(
                condition=models.Q(public_location__isnull=False),
                name="actor_public_location_set",
            ),
        ),
    ]
