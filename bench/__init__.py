"""Benchmarks of indoxhub-integrations against raw httpx and the peer integrations.

Run ``python -m bench`` (``--quick`` for a short run); see ``bench/README.md``.
"""
