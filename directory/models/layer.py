"""What the map layer reads instead of the actor table: the data version, and cluster cells.

``DataVersion`` rows are counters bumped after every write that can change public output
(directory.dataversion); tile URLs, ETags and cache keys carry the ``data`` one, so a 304 or
a cached tile costs one primary-key read. ``LayerCell`` holds the clusters of the
unfiltered layer per zoom, rebuilt when the data version moved (directory.layercells).
"""

from django.db import models


class DataVersion(models.Model):
    """A named counter: ``data``, bumped by writes."""

    name = models.CharField(primary_key=True, max_length=20)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class LayerState(models.Model):
    """The data version the LayerCell rows reflect (one row; locked while they are rebuilt).

    Apart from DataVersion so that a rebuild never writes to the table every request reads.
    """

    version = models.BigIntegerField(default=-1)

    def __str__(self):
        return f"cells of version {self.version}"


class LayerCell(models.Model):
    """Published actors of one kind in one grid cell of one zoom: their count and the sums
    of their public coordinates (a cluster sits at the mean of public pins)."""

    zoom = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    # Cell and tile indexes on the degree grid of directory.layer (tile = cell // 8).
    cx = models.IntegerField()
    cy = models.IntegerField()
    tx = models.IntegerField()
    ty = models.IntegerField()
    count = models.IntegerField()
    sum_lon = models.FloatField()
    sum_lat = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["zoom", "tx", "ty"], name="layercell_tile")]

    def __str__(self):
        return f"{self.zoom}/{self.cx}/{self.cy} {self.kind}: {self.count}"
