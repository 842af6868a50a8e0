"""BYOK (bring your own key): key resolution, provider-mismatch detection and secret masking."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

from .errors import ByokProviderMismatchError, InvalidRequestError

# Longest prefixes first: "sk-ant-" and "sk-or-" must win over a plain "sk-".
_PROVEN_PREFIXES: tuple[tuple[str, str], ...] = (
    ("sk-ant-", "anthropic"),
    ("sk-or-", "openrouter"),
    ("sk-proj-", "openai"),
    ("sk-svcacct-", "openai"),
    ("AIza", "google"),
    ("xai-", "xai"),
    ("gsk_", "groq"),
)

PROVIDER_ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "cohere": ("COHERE_API_KEY", "CO_API_KEY"),
    "togetherai": ("TOGETHER_API_KEY",),
    "perplexity": ("PERPLEXITY_API_KEY",),
}
"""The env vars each provider's own SDK reads, used when ``byok_from_env=True``."""

KeyLike = str | SecretStr


def secret_value(key: KeyLike | None) -> str | None:
    """The plain text of a key given as ``str`` or ``SecretStr`` (``None`` stays ``None``)."""
    if key is None:
        return None
    return key.get_secret_value() if isinstance(key, SecretStr) else key


def as_secret(key: object) -> SecretStr | None:
    """A BYOK key given by the user as a ``SecretStr`` (``None`` and blank text stay ``None``).

    Keys are wrapped the moment they enter the library, so no frame of ours holds the plain
    text in a local variable (tracebacks that capture locals, Sentry, ``--showlocals``).

    Raises:
        InvalidRequestError: When the key is not a string or a ``SecretStr``.
    """
    if key is None or isinstance(key, SecretStr):
        return key
    if not isinstance(key, str):
        raise InvalidRequestError(
            f"A BYOK key must be a string or a SecretStr, got {type(key).__name__}."
        )
    return SecretStr(key)


def _usable(key: SecretStr | None) -> SecretStr | None:
    """The key without surrounding whitespace; ``None`` when it is blank."""
    if key is None or not key.get_secret_value().strip():
        return None
    if key.get_secret_value() != key.get_secret_value().strip():
        return SecretStr(key.get_secret_value().strip())
    return key


def key_provider(key: str) -> str | None:
    """Return the provider a key's prefix proves, or ``None`` when the prefix proves nothing.

    ``sk-proj-`` and ``sk-svcacct-`` prove OpenAI. A plain ``sk-`` key may be OpenAI's,
    DeepSeek's or another provider's, so it proves nothing here (but it is never Anthropic's:
    :func:`check_key_matches` refuses it for an ``anthropic/...`` model).
    """
    for prefix, provider in _PROVEN_PREFIXES:
        if key.startswith(prefix):
            return provider
    return None


def foreign_key_provider(key: str, provider: str) -> str | None:
    """The provider ``key`` provably belongs to when that is not ``provider``, else ``None``.

    Besides the proving prefixes, a plain ``sk-`` key used for Anthropic is refused: Anthropic's
    keys all start ``sk-ant-``, so a plain ``sk-`` key (OpenAI's form) is never theirs.
    """
    proven = key_provider(key)
    if proven is None and provider == "anthropic" and key.startswith("sk-"):
        proven = "openai"
    return proven if proven is not None and proven != provider else None


def split_model(model: str) -> tuple[str, str]:
    """Split ``provider/model`` into its parts.

    Raises:
        InvalidRequestError: When the name has no provider prefix.
    """
    if not isinstance(model, str) or "/" not in model:
        raise InvalidRequestError(
            f"Model name {model!r} has no provider: indoxhub models are named "
            "'provider/model', for example 'openai/gpt-4o-mini' or "
            "'anthropic/claude-3-5-sonnet-20241022'."
        )
    provider, _, name = model.partition("/")
    if not provider or not name:
        raise InvalidRequestError(
            f"Model name {model!r} is incomplete: use 'provider/model', "
            "for example 'openai/gpt-4o-mini'."
        )
    return provider.lower(), name


def check_key_matches(model: str, key: SecretStr) -> None:
    """Raise :class:`ByokProviderMismatchError` when ``key`` provably belongs to another provider.

    Args:
        model: The model in ``provider/model`` form.
        key: The BYOK key (never included in the message, and never unwrapped into a local).
    """
    provider, _ = split_model(model)
    proven = foreign_key_provider(key.get_secret_value(), provider)
    if proven is not None and proven != provider:
        raise ByokProviderMismatchError(
            f"The BYOK key looks like a key of {proven} "
            f"({mask_secret(key.get_secret_value())}), but the model {model!r} is served by "
            f"{provider}. Pass the {provider} key for this model, use {_article(proven)} "
            f"{proven}/... model, or set byok_api_keys={{'{provider}': ...}} to pick a key per "
            "provider."
        )


def _article(word: str) -> str:
    """``"an"`` before a vowel sound (``an anthropic/...``, ``an openai/...``), else ``"a"``."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def resolve_byok_key(
    model: str,
    *,
    per_call: KeyLike | None = None,
    instance_key: KeyLike | None = None,
    instance_keys: Mapping[str, KeyLike] | None = None,
    from_env: bool = False,
    environ: Mapping[str, str] | None = None,
) -> SecretStr | None:
    """Pick the BYOK key for one request, highest precedence first.

    The order is: the per-call key; the instance's ``byok_api_key``; the instance's
    ``byok_api_keys[provider]``; with ``from_env``, the provider's usual env var; else ``None``
    (the platform key alone, spending credits). The chosen key is checked against the model's
    provider before anything is sent.

    Returns:
        The key (still a ``SecretStr``: it is unwrapped only when the body is serialized), or
        ``None`` for a platform request.

    Raises:
        ByokProviderMismatchError: When the chosen key provably belongs to another provider.
        InvalidRequestError: When the model name has no provider.
    """
    chosen = _choose_key(model, per_call, instance_key, instance_keys, from_env, environ)
    if chosen is not None:
        check_key_matches(model, chosen)
    return chosen


def _choose_key(
    model: str,
    per_call: KeyLike | None,
    instance_key: KeyLike | None,
    instance_keys: Mapping[str, KeyLike] | None,
    from_env: bool,
    environ: Mapping[str, str] | None,
) -> SecretStr | None:
    provider, _ = split_model(model)
    chosen = _usable(as_secret(per_call)) or _usable(as_secret(instance_key))
    if chosen is None and instance_keys:
        by_provider = {name.lower(): key for name, key in instance_keys.items()}
        chosen = _usable(as_secret(by_provider.get(provider)))
    if chosen is None and from_env:
        env = os.environ if environ is None else environ
        for name in PROVIDER_ENV_VARS.get(provider, (f"{provider.upper()}_API_KEY",)):
            chosen = _usable(as_secret(env.get(name) or None))
            if chosen is not None:
                break
    return chosen  # blank keys are no key at all (a platform request)


def byok_applies(
    model: str,
    *,
    per_call: KeyLike | None = None,
    instance_key: KeyLike | None = None,
    instance_keys: Mapping[str, KeyLike] | None = None,
    from_env: bool = False,
) -> bool:
    """Whether :func:`resolve_byok_key` would pick a key for this request (for tracing).

    Never raises for a provider mismatch (the request itself reports that); a model name
    without a provider uses only the per-call and instance-wide keys.
    """
    if "/" not in str(model):
        model = f"unknown/{model}"
    try:
        key = _choose_key(model, per_call, instance_key, instance_keys, from_env, None)
    except InvalidRequestError:
        return False
    return key is not None


def mask_secret(value: str) -> str:
    """Return a short, safe form of a secret: its prefix family and last four characters."""
    if len(value) <= 8:
        return "***"
    head = value[:3] if value[:3] in ("sk-", "xai", "gsk") else value[:2]
    return f"{head}...{value[-4:]}"


_KEYLIKE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{6,}|AIza[0-9A-Za-z_\-]{10,}|xai-[A-Za-z0-9]{6,}|gsk_[A-Za-z0-9]{6,})"
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Mask every known secret, and anything shaped like a provider key, in ``text``.

    Args:
        text: Text that may contain secrets (an error message, a log line).
        secrets: The exact secrets to remove (the platform key, BYOK keys, access tokens).
    """
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, mask_secret(secret))
    return _KEYLIKE.sub(lambda match: mask_secret(match.group(0)), text)
