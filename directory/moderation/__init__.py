"""Moderation: reviewed changes, decisions, duplicates, claims, merges and freshness."""
