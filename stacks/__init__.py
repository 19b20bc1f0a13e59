"""Wiring only: one stack per layer, mapping catalog entries onto construct props."""
