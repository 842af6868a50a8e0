"""The documentation tests: the README's code blocks, the notebooks and the demo tour, all
executed against the emulator. Helpers live in ``docs_support`` (a unique module name)."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib leaves sys.path alone: make this folder's helper module importable.
sys.path.insert(0, str(Path(__file__).parent))
