"""A local indoxhub-compatible server for offline development, tests, demos and notebooks.

Needs the ``emulator`` extra (Starlette and uvicorn)::

    from indoxhub_integrations.emulator import IndoxHubEmulator

    with IndoxHubEmulator(credits=5.0, tier="free") as emulator:
        ...  # point a client at emulator.base_url with emulator.api_key

Or from a shell: ``python -m indoxhub_integrations.emulator --port 9050``.
"""

from .server import IndoxHubEmulator
from .state import RequestRecord

__all__ = ["IndoxHubEmulator", "RequestRecord"]
