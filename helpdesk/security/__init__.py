"""Defences of the embedded default and of the public endpoints (no models)."""
