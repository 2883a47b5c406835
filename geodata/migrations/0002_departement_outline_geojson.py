"""Département outlines simplified once for the map (geodata.outlines), computed here for
the territories already imported."""

import json

from django.db import migrations, models


def simplify_existing(apps, schema_editor):
    from geodata.outlines import simplified_geometry

    Departement = apps.get_model("geodata", "Departement")
    for departement in Departement.objects.exclude(outline=None).only("pk", "outline"):
        geometry = simplified_geometry(departement.outline)
        Departement.objects.filter(pk=departement.pk).update(
            outline_geojson=json.dumps(geometry, separators=(",", ":")) if geometry else ""
        )


class Migration(migrations.Migration):
    dependencies = [("geodata", "0001_territories")]

    operations = [
        migrations.AddField(
            model_name="departement",
            name="outline_geojson",
            field=models.TextField(
                blank=True, default="", verbose_name="contour pour la carte (GeoJSON)"
            ),
        ),
        migrations.RunPython(simplify_existing, migrations.RunPython.noop),
    ]
