"""Reads: querysets and lookups, with access checks."""
