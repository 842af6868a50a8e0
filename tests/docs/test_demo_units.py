"""The tour's pure parts: tables, the usage report, the spend gate and error explanations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from indoxhub_integrations.core.usage import UsageLedger, UsageRecord
from indoxhub_integrations.demo.agent_step import saved_files
from indoxhub_integrations.demo.console import Console, format_table, shorten
from indoxhub_integrations.demo.context import SpendGate, placeholder_byok_key
from indoxhub_integrations.demo.documents import sample_documents
from indoxhub_integrations.demo.errors import explain, find_indoxhub_error
from indoxhub_integrations.demo.report import format_cost, print_report, usage_rows
from indoxhub_integrations.errors import (
    AuthenticationError,
    ByokProviderMismatchError,
    InsufficientCreditsError,
    RateLimitError,
)


def record(model: str, endpoint: str = "chat", **fields: object) -> UsageRecord:
    return UsageRecord(endpoint=endpoint, model=model, **fields)  # type: ignore[arg-type]


def test_usage_rows_split_model_endpoint_and_billing() -> None:
    rows = usage_rows(
        [
            record("openai/gpt-4o-mini", total_tokens=10, cost=0.001),
            record("openai/gpt-4o-mini", total_tokens=5, cost=0.002, cost_estimated=True),
            record("openai/gpt-4o-mini", total_tokens=7, cost=0.0, byok=True),
            record("openai/dall-e-3", "image", cost=None),
        ]
    )
    summary = [(r.model, r.endpoint, r.byok, r.requests, r.tokens, r.unknown_cost) for r in rows]
    assert summary == [
        ("openai/dall-e-3", "image", False, 1, 0, 1),
        ("openai/gpt-4o-mini", "chat", False, 2, 15, 0),
        ("openai/gpt-4o-mini", "chat", True, 1, 7, 0),
    ]
    assert rows[1].cost == pytest.approx(0.003) and rows[1].estimated == 1


def test_format_cost() -> None:
    assert format_cost(0.0, byok=True) == "$0 (BYOK)"
    assert format_cost(0.0012345) == "$0.001234" or format_cost(0.0012345) == "$0.001235"
    assert format_cost(0.5, estimated=1) == "~$0.500000"
    assert format_cost(0.5, unknown=2) == "$0.500000 +2 unknown"


def test_report_table_and_totals() -> None:
    out = io.StringIO()
    ledger = UsageLedger(
        [record("openai/gpt-4o-mini", total_tokens=10, cost=0.001),
         record("openai/gpt-4o-mini", total_tokens=7, cost=0.0, byok=True,
                rate_limit_bypass="BYOK API key used"),
         record("mistral/mistral-embed", "embedding", total_tokens=3, cost=None)]
    )  # fmt: skip
    print_report(Console(out), ledger)
    text = out.getvalue()
    header, rule, *lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert header.split() == [
        "model", "endpoint", "billing", "requests", "tokens", "cost", "(USD)",
        "BYOK", "provider", "cost", "(USD)",
    ]  # fmt: skip
    assert set(rule) <= {"-", " "}
    assert any("BYOK" in line and "$0 (BYOK)" in line for line in lines)
    assert any(line.startswith("total") and "+1 unknown" in line for line in lines)
    assert "platform: 2 request(s)" in text and "BYOK: 1 request(s)" in text
    assert "never as 0" in text


def test_format_table_aligns_columns() -> None:
    table = format_table(["name", "n"], [["a", "1"], ["long name", "123"]])
    assert table.splitlines() == [
        "name         n",
        "---------  ---",
        "a            1",
        "long name  123",
    ]
    mixed = format_table(["k", "v"], [["a", "$1.5"], ["b", "text"]])
    assert mixed.splitlines()[2] == "a  $1.5"
    assert shorten("a  b\nc", 10) == "a b c"
    assert shorten("x" * 20, 10) == "x" * 9 + "…"


def gate(**options: object) -> tuple[SpendGate, io.StringIO]:
    out = io.StringIO()
    settings: dict[str, object] = {"emulated": False, "assume_yes": False, "interactive": False}
    settings.update(options)
    return SpendGate(Console(out), **settings), out  # type: ignore[arg-type]


def test_spend_gate() -> None:
    assert gate(emulated=True)[0].allow("x", None)
    spend, out = gate()
    assert spend.allow("the chat", 0.0001) and "trivial" in out.getvalue()
    spend, out = gate()
    assert not spend.allow("the image", 0.04) and "rerun with --yes" in out.getvalue()
    spend, out = gate()
    assert not spend.allow("the unknown", None) and "an unknown amount" in out.getvalue()
    assert gate(assume_yes=True)[0].allow("the image", 0.04)
    assert gate(interactive=True, ask=lambda prompt: "y")[0].allow("the image", 0.04)
    spend, out = gate(interactive=True, ask=lambda prompt: "n")
    assert not spend.allow("the image", 0.04) and "you said no" in out.getvalue()

    def eof(prompt: str) -> str:
        raise EOFError

    assert not gate(interactive=True, ask=eof)[0].allow("the image", 0.04)


def test_explain_names_the_error_and_gives_a_hint() -> None:
    error = explain(AuthenticationError("Invalid API key", status_code=401), where="Step 1",
                    byok_env=None, byok=False)  # fmt: skip
    assert error.message.startswith("Step 1 failed: AuthenticationError: Invalid API key")
    assert error.hint and "INDOXHUB_API_KEY" in error.hint
    byok = explain(AuthenticationError("bad"), where="x", byok_env="OPENAI_API_KEY", byok=True)
    assert byok.hint and "$OPENAI_API_KEY" in byok.hint
    credits = explain(InsufficientCreditsError("no"), where="x", byok_env=None)
    assert credits.hint and "BYOK" in credits.hint
    limited = explain(RateLimitError("slow", retry_after=30, source="provider"), where="x",
                      byok_env=None)  # fmt: skip
    assert limited.hint and "30 s" in limited.hint and "provider" in limited.hint
    mismatch = explain(ByokProviderMismatchError("m"), where="x", byok_env="K")
    assert mismatch.hint and "another provider" in mismatch.hint


def test_find_indoxhub_error_follows_the_chain() -> None:
    inner = InsufficientCreditsError("no credits")
    try:
        try:
            raise inner
        except InsufficientCreditsError as exc:
            raise RuntimeError("workflow failed") from exc
    except RuntimeError as outer:
        assert find_indoxhub_error(outer) is inner
    assert find_indoxhub_error(ValueError("x")) is None


def test_saved_files_reads_paths_from_tool_output(tmp_path: Path) -> None:
    image = tmp_path / "image-1.png"
    image.write_bytes(b"png")
    text = f"Image 1: URL: http://x/y.png file: {image}\nRevised prompt: a/b"
    assert saved_files(text) == [image.resolve()]
    assert saved_files("no files here") == []


def test_sample_documents_and_placeholder_keys() -> None:
    documents = sample_documents()
    assert set(documents) == {"byok.md", "credits.md", "models.md", "rate-limits.md"}
    assert all(text.startswith("# ") for text in documents.values())
    assert placeholder_byok_key("anthropic").startswith("sk-ant-")
    assert placeholder_byok_key("google").startswith("AIza")
    assert placeholder_byok_key("openai").startswith("sk-")
