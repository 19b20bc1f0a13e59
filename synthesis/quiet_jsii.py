"""The switches that keep jsii quiet about Node 20, set once before any binding is imported.

jsii warns on every run that Node 20 is end-of-life; the warning is not the user's concern.
Every entry point that may start jsii (main.py, the worker, the tools, the tests, child
processes) takes the switches from here.
"""

from __future__ import annotations

import os
from typing import Final

QUIET_JSII_ENV: Final = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}


def quiet_jsii() -> None:
    """Set the switches in this process (and so its children), unless the user set them."""
    for name, value in QUIET_JSII_ENV.items():
        os.environ.setdefault(name, value)
