"""The one error synthesis orchestration reports: what went wrong and what to do."""

from __future__ import annotations


class SynthesisError(Exception):
    """Synthesis cannot go on; the message says what to fix."""
