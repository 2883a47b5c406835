"""Signals geodata sends; apps that derive data from territories listen (geodata knows none)."""

from django.dispatch import Signal

# Sent once ``import_territories`` has written communes (their town halls and outlines may
# have changed). Arguments: ``communes`` (a queryset of the communes written).
territories_imported = Signal()
