"""The demo tour: ``python -m indoxhub_integrations`` (``--help`` for the options).

With no ``INDOXHUB_API_KEY`` set it starts the embedded emulator and says so; with one it runs
against the real API and asks before any step that spends more than a trivial amount. The
tour itself lives in :mod:`indoxhub_integrations.demo`.

``python -m indoxhub_integrations check`` instead runs the live fidelity check
(:mod:`indoxhub_integrations.check`): it compares the real service's answers with the emulator.
"""

import sys

from .demo.runner import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["check"]:
        from .check import main as check

        raise SystemExit(check(sys.argv[2:]))
    raise SystemExit(main())
