"""The demo tour: ``python -m indoxhub_integrations`` (``--help`` for the options).

With no ``INDOXHUB_API_KEY`` set it starts the embedded emulator and says so; with one it runs
against the real API and asks before any step that spends more than a trivial amount. The
tour itself lives in :mod:`indoxhub_integrations.demo`.
"""

from .demo.runner import main

if __name__ == "__main__":
    raise SystemExit(main())
