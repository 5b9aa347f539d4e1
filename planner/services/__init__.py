"""Writes: keyword-only functions named ``<entity>_<action>``."""
