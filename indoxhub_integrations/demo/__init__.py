"""The demo tour behind ``python -m indoxhub_integrations``.

Modules: :mod:`.cli` (options), :mod:`.context` (emulator or real API, keys, spend gate),
:mod:`.langchain_step`, :mod:`.llamaindex_step`, :mod:`.agent_step`, :mod:`.report`,
:mod:`.runner`, and :mod:`.charts` (a matplotlib chart of cost by model for the notebooks).
The sample documents of the RAG step are in ``data/``.
"""

from .runner import main

__all__ = ["main"]
