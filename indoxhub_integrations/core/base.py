"""The logic shared by the sync and async clients: request plans, auth, retries, results.

The two clients in :mod:`indoxhub_integrations.core.client` differ only in I/O; everything
decided about a request (body, headers, BYOK key, retry delay, error, parsed result, cost
estimate) is decided here.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal, ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from .._version import __version__
from . import catalog, parsing_media, video
from .budget import Budget, worst_case_cost
from .byok import as_secret, redact, resolve_byok_key
from .config import is_loopback
from .endpoints import API_PREFIX, Call, EndpointSpec, meta_kwargs, plan_call
from .errors import (
    RETRYABLE_STATUSES,
    APIConnectionError,
    APITimeoutError,
    IndoxHubError,
    InvalidRequestError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
    error_from_response,
)
from .log_redaction import install_http_log_redaction
from .options import ClientSettings, resolve_settings
from .parsing import cookie_token
from .streaming import StreamAssembler
from .tool_history import outgoing, retry_folded
from .usage import active_budgets, emit_usage, record_from_parts, record_from_result
from .wire import ModelInfo, ResponseMeta, StreamEvent, Usage, UsageRecord

logger = logging.getLogger("indoxhub_integrations")

USER_AGENT = f"indoxhub-integrations/{__version__}"
MAX_RETRY_AFTER = 60.0
"""The longest ``Retry-After`` the retry layer waits; a longer one is raised at once."""
CATALOG_RETRY_SECONDS = 60.0
"""After a failed catalog fetch, how long cost estimates stay unknown before trying again."""

T = TypeVar("T")
Key = str | SecretStr | None
"""A key argument: plain text, a ``SecretStr`` or none."""
LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=100)
"""Connection pool limits of the async clients on aiohttp (and the model for the others)."""
SYNC_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=200)
"""Connection pool limits of the sync clients: every connection may stay alive. httpcore's
pool closes surplus idle connections, and may close one it has just handed to a waiting
thread (encode/httpcore#1110, open in httpcore 1.0.9): that request then fails with
``ReadError: Bad file descriptor`` or hangs until its read timeout. Seen here with
``batch`` on threads when more threads run than connections are kept alive. With every
connection kept alive, the pool never closes one as surplus (one origin per client), so the
race cannot happen; with at most as many connections as threads, no more are kept either."""


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One TLS context per process, shared by every client (safe across threads): loading the
    CA bundle costs ~60 ms, which each new client (and each event loop's async client) would
    otherwise pay again."""
    return httpx.create_ssl_context()


P = ParamSpec("P")
R = TypeVar("R")


def protect_key(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap a method's ``byok_api_key`` argument in ``SecretStr`` before the method runs.

    A plain per-call key would otherwise sit in the method's locals (and in every frame
    below), where tracebacks that capture locals (``--showlocals``, rich, Sentry) show it.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs.get("byok_api_key") is not None:
            kwargs["byok_api_key"] = as_secret(kwargs["byok_api_key"])
        return method(*args, **kwargs)

    return wrapper


def _reveal(value: Any) -> Any:
    """``json.dumps`` hook: the plain text of a ``SecretStr``, only while serializing."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


Outcome = Literal["completed", "aborted", "unknown", "failed"]

NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)
"""Transport errors raised before the request left the client (no usage record)."""


def transport_error(exc: Exception) -> IndoxHubError:
    """The exception for a failed HTTP exchange (no response, or a response cut short)."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"indoxhub request timed out ({type(exc).__name__}).")
    return APIConnectionError(f"Could not reach indoxhub: {type(exc).__name__}: {exc}")


class TokenState:
    """The exchanged access token, shared by every thread and task of one client."""

    def __init__(self) -> None:
        self.token: SecretStr | None = None
        self.exchange_enabled: bool = False
        self.lock = threading.Lock()


class CatalogState:
    """The model catalog used for cost estimates, shared by the clients of one configuration
    (the sync client and each event loop's async client fetch it once between them)."""

    def __init__(self) -> None:
        self.models: dict[str, ModelInfo] | None = None
        self.failed_at: float | None = None
        self.lock = threading.Lock()


class BaseClient:
    """Settings, request planning, auth headers, retry policy and result handling."""

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        settings: ClientSettings | None = None,
        **options: Any,
    ) -> None:
        """Create a client; no network I/O happens until the first request.

        Args:
            api_key: The indoxhub key (else ``INDOXHUB_API_KEY`` / ``INDOX_ROUTER_API_KEY``).
            base_url: Server root (else ``INDOXHUB_BASE_URL``, else production).
            settings: Ready-made settings (the other arguments are then ignored).
            **options: Any other field of
                :class:`~indoxhub_integrations.core.options.IndoxHubOptions` (``timeout``,
                ``max_retries``, ``token_exchange``, ``byok_api_key``, ``byok_api_keys``,
                ``byok_from_env``, ``estimate_cost``, ``allow_insecure_http``,
                ``default_headers``...), documented there once.

        Raises:
            TypeError: For an argument that is not an option.
        """
        self.settings = settings or resolve_settings(api_key=api_key, base_url=base_url, **options)
        self._init_state()

    def _init_state(self) -> None:
        install_http_log_redaction()
        self._token = TokenState()
        self._token.exchange_enabled = bool(self.settings.token_exchange)
        self._catalog = CatalogState()
        self._urls: dict[str, httpx.URL] = {}
        self._static_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            **self.settings.default_headers,
        }
        self._header_cache: dict[
            tuple[bool, bool], tuple[Any, Any, list[tuple[bytes, bytes]], httpx.Headers]
        ] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.settings = state["settings"]
        self._init_state()
        self._reset_io()

    def share_catalog(self, other: BaseClient) -> None:
        """Use ``other``'s model catalog (same settings), so it is fetched once for both."""
        self._catalog = other._catalog

    def _reset_io(self) -> None:
        """Forget live connections (overridden by the I/O classes)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.settings.base_url!r})"

    def _http_options(self) -> dict[str, Any]:
        """The arguments of the ``httpx`` client, the same for the sync and async clients.

        Redirects are never followed (a 3xx is an error). Proxies from the environment are
        used only for remote servers: a loopback server (where plain http is allowed) is
        always reached directly, so keys never cross a network in clear text.
        """
        s = self.settings
        return {
            "base_url": s.base_url,
            "timeout": s.timeout,
            "follow_redirects": False,
            "trust_env": s.trust_env and not is_loopback(urlsplit(s.base_url).hostname or ""),
        }

    def _url(self, base_url: httpx.URL, path: str) -> httpx.URL:
        """The absolute URL of ``path`` under ``base_url``, merged as httpx merges a relative
        URL, and cached: httpx would otherwise parse and merge it again on every request."""
        url = self._urls.get(path)
        if url is None:
            url = httpx.URL(path)
            if url.is_relative_url:
                url = base_url.copy_with(raw_path=base_url.raw_path + url.raw_path.lstrip(b"/"))
            if len(self._urls) < 64:  # endpoint paths; not every model or stream id
                self._urls[path] = url
        return url

    # ----------------------------------------------------------------- auth and secrets
    def _secrets(self, call: Call[Any] | None = None) -> list[str | None]:
        token = self._token.token
        return [
            self.settings.api_key.get_secret_value(),
            token.get_secret_value() if token else None,
            call.byok_key.get_secret_value() if call and call.byok_key else None,
        ]

    def _bearer(self) -> SecretStr:
        """What authenticates a request: the exchanged token, else the API key."""
        return self._token.token or self.settings.api_key

    def _auth_headers(self) -> dict[str, str]:
        bearer = self._bearer().get_secret_value()
        return {**self._static_headers, "Authorization": f"Bearer {bearer}"}

    def _exchange_call(self) -> Call:
        return Call("POST", f"{API_PREFIX}/auth/api-key", authenticated=False)

    def _exchange_headers(self) -> dict[str, str]:
        return {**self._static_headers, "X-API-Key": self.settings.api_key.get_secret_value()}

    def _store_token(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        if status >= 400:
            raise self._error(status, body, headers, self._exchange_call())
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token:
            token = cookie_token(headers)  # the public client's fallback: the cookie it set
        if not token:
            raise ProviderError(
                "The token exchange answered without an access_token (neither in the body nor "
                "as an access_token cookie)."
            )
        self._token.token = SecretStr(token)
        self._token.exchange_enabled = True

    def _should_exchange_first(self) -> bool:
        return self._token.exchange_enabled and self._token.token is None

    def _should_reauth(
        self, status: int, call: Call[Any], reauthed: bool, content: bytes = b""
    ) -> bool:
        """After a 401: exchange (or refresh) the token once, when exchange is allowed.

        Not when the provider rejected the request's BYOK key: a new indoxhub token cannot fix
        that, and repeating the request would send the rejected key to the provider again.
        """
        reauth = (
            status == 401
            and call.authenticated
            and not reauthed
            and self.settings.token_exchange is not False
            and not (call.byok and b"provider" in content.lower())
        )
        if reauth:
            logger.debug("401 on %s: exchanging the API key for a token", call.path)
        return reauth

    # ----------------------------------------------------------------- planning
    def _byok(self, model: str, per_call: Key) -> SecretStr | None:
        s = self.settings
        return resolve_byok_key(
            model,
            per_call=per_call,
            instance_key=s.byok_api_key,
            instance_keys=s.byok_api_keys,
            from_env=s.byok_from_env,
        )

    def _plan(
        self,
        spec: EndpointSpec[T],
        payload: Any,
        model: str,
        params: Mapping[str, Any],
        *,
        byok_api_key: Key,
        additional_params: Mapping[str, Any] | None = None,
        stream: bool = False,
        filename: str | None = None,
    ) -> Call[T]:
        """Plan a model request: its BYOK key resolved here, the rest by :func:`plan_call`.

        A chat's tool history is folded into text when ``tool_history`` says so (``text``, or
        ``auto`` once this base URL rejected it; see :mod:`.tool_history`).
        """
        call = plan_call(
            spec, payload, model, params, byok_key=self._byok(model, byok_api_key),
            additional_params=additional_params, stream=stream, filename=filename,
        )  # fmt: skip
        if call.endpoint == "chat" and call.json is not None:
            s = self.settings
            call.json["messages"] = outgoing(s.tool_history, s.base_url, call.json)
        return call

    def _tool_fallback(self, call: Call[T], error: IndoxHubError) -> Call[T] | None:
        """The chat call resent once with its tool history as text, when ``auto`` allows it."""
        body = call.json if call.endpoint == "chat" else None
        folded = retry_folded(self.settings.tool_history, self.settings.base_url, body, error)
        return None if folded is None else replace(call, json={**(body or {}), "messages": folded})

    def _video_wait(
        self,
        job: Any,
        *,
        poll_interval: float,
        timeout: float | None,
        on_progress: Callable[[Any], Any] | None,
        show_progress: bool,
    ) -> tuple[video.VideoWait, Callable[[], None]]:
        """The polling policy of ``wait_for_video`` and the function that ends its progress bar."""
        report, close = video.progress_reporter(on_progress, show_progress)
        origin = job if isinstance(job, video.VideoJob) else None
        wait = video.VideoWait(
            video.job_id_of(job), origin=origin, poll_interval=poll_interval, timeout=timeout,
            on_progress=report,
        )  # fmt: skip
        return wait, close

    def _video_downloader(self) -> video.VideoDownloader:
        s = self.settings
        return video.VideoDownloader(timeout=max(600.0, float(s.timeout or 0)))

    def _with_downloader(self, item: Any) -> Any:
        video.attach(self._video_downloader(), item)
        return item

    # ----------------------------------------------------------------- answers
    def _error(
        self, status: int, body: Any, headers: Mapping[str, str], call: Call[Any]
    ) -> IndoxHubError:
        error = error_from_response(status, body, headers, byok=call.byok)
        secrets = self._secrets(call)
        error.message = redact(error.message, secrets)
        error.args = (error.message,)
        if error.details:
            error.details = json.loads(redact(json.dumps(error.details, default=str), secrets))
        return error

    @staticmethod
    def _decode(content: bytes) -> Any:
        if not content:
            return None
        try:
            return json.loads(content)
        except ValueError:
            return content.decode("utf-8", "replace")
        except RecursionError:
            raise ProviderError(
                "indoxhub answered with JSON nested deeper than any real answer; it was not parsed."
            ) from None

    def _result(
        self,
        call: Call[Any],
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        started: float,
    ) -> Any:
        """Turn a response into the call's result, or raise its error."""
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s in %.1f ms (byok=%s)", call.method, call.path, status, elapsed_ms,
                call.byok,
            )  # fmt: skip
        if 300 <= status < 400:
            raise ProviderError(
                f"indoxhub answered {call.path} with a redirect (HTTP {status} to "
                f"{headers.get('location', 'nowhere')!r:.120}); redirects are not followed, so "
                "keys never go to another address: check base_url.",
                status_code=status,
                request_id=headers.get("x-request-id"),
            )
        body = self._decode(content)
        if status >= 400:
            raise self._error(status, body, headers, call)
        if call.endpoint == "text_to_speech" and headers.get("content-type", "").startswith(
            "audio/"
        ):
            return parsing_media.parse_speech_bytes(
                content, headers, **meta_kwargs(call, elapsed_ms)
            )
        if call.parser is None:
            return body
        if not isinstance(body, Mapping):
            raise ProviderError(
                f"indoxhub answered {call.path} with a body that is not a JSON object "
                f"({content[:80]!r}...).",
                status_code=status,
                request_id=headers.get("x-request-id"),
            )
        try:
            return call.parser(body, headers, call, elapsed_ms)
        except IndoxHubError as error:  # a body of the wrong shape: say which answer it was
            error.status_code = error.status_code or status
            error.request_id = error.request_id or headers.get("x-request-id")
            raise

    def _stream_failure(
        self, call: Call[Any], headers: Mapping[str, str], error: IndoxHubError
    ) -> IndoxHubError:
        """An error raised inside a stream (an error event, a cut or malformed stream), with
        known secrets masked (the server may echo a key) and the stream's request id."""
        error.message = redact(error.message, self._secrets(call))
        error.args = (error.message,)
        error.request_id = error.request_id or headers.get("x-request-id")
        return error

    def _build_request(
        self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]
    ) -> httpx.Request:
        """The HTTP request of ``call`` with auth headers (an exchanged token, else the key),
        once the budgets admitted it: every attempt of every request passes here just before
        it is sent.

        A JSON (or empty) request is built here directly, as ``http.build_request`` would
        build it (the client's headers under ours, its cookies and timeout), with the merged
        headers kept between requests: httpx merges and re-encodes every header on every
        request otherwise, which was a fifth of a loopback request's client time.
        """
        content: bytes | None = None
        try:  # keys leave their SecretStr only here, inside the serializer
            if call.json is not None:
                content = json.dumps(
                    call.json, default=_reveal, ensure_ascii=False, separators=(",", ":"),
                    allow_nan=False,
                ).encode()  # fmt: skip
        except (TypeError, ValueError) as exc:  # NaN, bytes, objects: not JSON
            raise InvalidRequestError(f"The request cannot be sent as JSON: {exc}") from None
        url = self._url(http.base_url, call.path)
        if call.form or call.files:
            headers = self._auth_headers() if call.authenticated else self._static_headers
            fields = call.form or {}
            form = {k: _reveal(v) if isinstance(v, SecretStr) else v for k, v in fields.items()}
            request = http.build_request(
                call.method, url, headers=headers, data=form or None, files=call.files
            )
        else:
            request = httpx.Request(
                call.method, url, content=content, cookies=http.cookies or None,
                headers=self._merged_headers(http, call.authenticated, content is not None),
                extensions={"timeout": http.timeout.as_dict()},
            )  # fmt: skip
        self._admit(call)
        return request

    def _merged_headers(
        self, http: httpx.Client | httpx.AsyncClient, authenticated: bool, is_json: bool
    ) -> httpx.Headers:
        """The client's headers with ours over them (auth, and the JSON content type), as
        ``http.build_request`` merges them; kept until the client, its headers, the key or the
        token change."""
        secret = self._bearer() if authenticated else None
        client_headers = http.headers.raw  # someone may have changed ``http.headers``
        cached = self._header_cache.get((authenticated, is_json))
        if (
            cached is not None
            and cached[0] is http
            and cached[1] is secret
            and cached[2] == client_headers
        ):
            return cached[3]
        ours = self._auth_headers() if authenticated else self._static_headers
        merged = httpx.Headers(http.headers)
        merged.update({**ours, "Content-Type": "application/json"} if is_json else ours)
        self._header_cache[(authenticated, is_json)] = (http, secret, client_headers, merged)
        return merged

    def _deadline(self) -> float:
        """When the current attempt must be over (a ``time.monotonic()`` value)."""
        return time.monotonic() + self.settings.timeout

    def _check_content_length(self, call: Call, headers: Mapping[str, str]) -> None:
        """Refuse an answer whose declared size is over the limit, before reading it."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.max_response_bytes:
            raise self._too_large(call, int(declared))

    def _too_large(self, call: Call, size: int) -> ProviderError:
        return ProviderError(
            f"indoxhub's answer to {call.path} is larger than max_response_bytes "
            f"({size} > {self.settings.max_response_bytes} bytes); it was not read. Raise "
            "max_response_bytes if such answers are expected."
        )

    def _check_progress(
        self, call: Call, response: httpx.Response, size: int, deadline: float
    ) -> None:
        """While reading an answer: over the size limit, or past the attempt's deadline with
        more of the body still to come (a body that has fully arrived is never discarded)."""
        if size > self.settings.max_response_bytes:
            raise self._too_large(call, size)
        if time.monotonic() > deadline:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and response.num_bytes_downloaded >= int(declared):
                return
            raise APITimeoutError(
                f"indoxhub's answer to {call.path} did not arrive within timeout="
                f"{self.settings.timeout:g} s (it was still arriving).",
                request_id=response.headers.get("x-request-id"),
            )

    # ----------------------------------------------------------------- budgets
    def _budgets(self) -> tuple[Budget, ...]:
        """The budgets of this request: the open scopes' and the client's own."""
        own = self.settings.budget
        return active_budgets((own,) if own is not None else ())

    def _budget_needs_catalog(self, call: Call[Any]) -> bool:
        """Whether a strict budget needs the catalog's prices before ``call`` can go out."""
        return (
            call.endpoint is not None
            and self._catalog.models is None
            and any(b.needs_estimate(call.byok) for b in self._budgets())
        )

    def _admit(self, call: Call[Any]) -> None:
        """Ask every budget whether ``call`` may be sent; raises ``BudgetExceededError``."""
        if call.endpoint is None:
            return
        admitted: list[Budget] = []
        try:
            for budget in self._budgets():
                estimate = None
                if budget.needs_estimate(call.byok):
                    info = (self._catalog.models or {}).get(call.model or "")
                    estimate = worst_case_cost(call.json, info)
                budget.admit(id(call), byok=call.byok, estimate=estimate)
                admitted.append(budget)
        except IndoxHubError:
            for budget in admitted:
                budget.release(id(call))
            raise

    def _emit(self, call: Call[Any], record: UsageRecord) -> None:
        """Hand an attempt's record to the scopes and budgets; end its reservations."""
        own = self.settings.budget
        emit_usage(record, (own,) if own is not None else ())
        for budget in self._budgets():
            budget.release(id(call))

    def _response_error(
        self, call: Call[Any], response: httpx.Response, content: bytes, started: float
    ) -> IndoxHubError:
        """The exception for a read answer that is not a success (3xx, 4xx, 5xx)."""
        try:
            self._result(call, response.status_code, response.headers, content, started)
        except IndoxHubError as error:  # without the frames that hold the (echoing) body
            return error.with_traceback(None)
        raise AssertionError("a failure status always maps to an exception")  # pragma: no cover

    def _delay_or_raise(self, call: Call[Any], attempt: int, error: IndoxHubError) -> float:
        """Seconds to wait before the next attempt; raises ``error`` when none is due."""
        delay = self._retry_delay(attempt, error)
        if delay is None:
            raise error
        logger.debug("retrying %s in %.2f s after %s", call.path, delay, type(error).__name__)
        return delay

    def _retry_delay(self, attempt: int, error: IndoxHubError) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or ``None`` to raise now."""
        if attempt >= self.settings.max_retries:
            return None
        retryable = isinstance(error, APIConnectionError) or (
            error.status_code in RETRYABLE_STATUSES
        )
        if not retryable:
            return None
        backoff = min(8.0, 0.25 * (2**attempt)) * (0.5 + random.random() / 2)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > MAX_RETRY_AFTER:
                return None
            return max(error.retry_after, backoff / 4)
        return backoff

    # ----------------------------------------------------------------- cost estimates
    def _needs_estimate(self, usage: Usage | None, byok: bool) -> bool:
        if usage is None or usage.cost is not None or byok or not self.settings.estimate_cost:
            return False
        if not usage.reported:  # no usage in the answer: nothing to estimate from
            return False
        return self._catalog_fetch_due()

    def _catalog_fetch_due(self) -> bool:
        """Whether the catalog may be fetched: never failed, or failed long enough ago."""
        failed = self._catalog.failed_at
        return failed is None or time.monotonic() - failed > CATALOG_RETRY_SECONDS

    def _catalog_entry(self, model: str) -> ModelInfo | None:
        """``model`` in the catalog fetched so far (``None``: not fetched or not listed)."""
        return (self._catalog.models or {}).get(model)

    def _needs_catalog(self, usage: Usage | None, byok: bool) -> bool:
        """Whether to fetch the catalog for this answer: a cost estimate, or a BYOK answer's
        provider cost estimate."""
        if byok:  # priced by tokens only: images, speech and video have no estimate here
            tokens = usage is not None and usage.reported and usage.total_tokens > 0
            due = self._catalog.models is None and self._catalog_fetch_due()
            return tokens and self.settings.estimate_cost and due
        return self._needs_estimate(usage, byok)

    def _provider_cost(self, record: UsageRecord) -> UsageRecord:
        """A BYOK record with its ``provider_cost_estimate`` (list price from the catalog)."""
        if not record.byok or not self.settings.estimate_cost or record.outcome != "completed":
            return record
        if not record.total_tokens:  # no usage reported: the provider's bill is unknown
            return record
        info = self._catalog_entry(record.model or "")
        if info is None:
            return record
        usage = Usage(input_tokens=record.input_tokens, output_tokens=record.output_tokens)
        estimate = catalog.estimate_cost(usage, info)
        if estimate is None:
            return record
        return record.model_copy(update={"provider_cost_estimate": estimate})

    def _store_catalog(self, models: list[ModelInfo] | None) -> None:
        if models is None:
            self._catalog.failed_at = time.monotonic()
            return
        self._catalog.models = {info.id: info for info in models}
        self._catalog.failed_at = None

    def _estimate(self, usage: Usage, model: str | None) -> Usage:
        info = (self._catalog.models or {}).get(model or "")
        if info is None:
            return usage
        cost = catalog.estimate_cost(usage, info)
        if cost is None:
            return usage
        return usage.model_copy(update={"cost": cost, "cost_estimated": True})

    def _apply_estimate(self, result: Any) -> Any:
        usage = getattr(result, "usage", None)
        meta = getattr(result, "meta", None)
        if usage is None or meta is None:
            return result
        result.usage = self._estimate(usage, meta.model)
        return result

    def _complete_event(self, event: StreamEvent, started: float, call: Call[Any]) -> StreamEvent:
        """Finish a stream's ``done`` event: cost estimate and client-measured duration."""
        if (
            event.usage is not None
            and event.meta is not None
            and self._needs_estimate(event.usage, event.meta.byok)
        ):  # never over a reported cost, nor a BYOK request's 0
            event.usage = self._estimate(event.usage, event.meta.model)
        if event.meta is not None and event.meta.duration_ms is None:
            elapsed = (time.perf_counter() - started) * 1000.0
            event.meta = event.meta.model_copy(update={"duration_ms": elapsed})
        if event.result is not None:
            if event.usage is not None:
                event.result.usage = event.usage
            if event.meta is not None:
                event.result.meta = event.meta
        if call.endpoint is not None:
            record = record_from_parts(
                event.usage or Usage(), event.meta or ResponseMeta(),
                images=len(event.result.images) if event.result is not None else 0,
                status=200,
            )  # fmt: skip
            if event.meta is None or event.meta.endpoint is None:
                record = record.model_copy(update={"endpoint": call.endpoint})
            record = self._provider_cost(record)
            self._attach(event.meta, event.result, record)
            self._emit(call, record)
        return event

    # ----------------------------------------------------------------- usage records
    @staticmethod
    def _attach(meta: ResponseMeta | None, result: Any, record: UsageRecord) -> None:
        for target in (meta, getattr(result, "meta", None)):
            if isinstance(target, ResponseMeta):
                target.record = record

    def _record_result(self, call: Call[Any], result: Any) -> Any:
        """Emit the record of a completed model call and carry it on the result's meta."""
        meta = getattr(result, "meta", None)
        if call.endpoint is not None and isinstance(meta, ResponseMeta):
            record = self._provider_cost(record_from_result(result, status=200))
            meta.record = record
            self._emit(call, record)
        return result

    def _record_attempt(
        self, call: Call[Any], outcome: Outcome, *, status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Emit the record of an attempt that reached the server without a complete answer:
        ``failed`` (an error answer: no spend), ``unknown`` or ``aborted`` (cost unknown)."""
        if call.endpoint is None:
            return
        self._emit(
            call,
            UsageRecord(
                endpoint=call.endpoint, model=call.model,
                provider=call.model.partition("/")[0] if call.model else None,
                request_id=(headers or {}).get("x-request-id"), byok=call.byok,
                cost=0.0 if outcome == "failed" else None, outcome=outcome, status=status,
            ),
        )  # fmt: skip

    def _record_transport_error(self, call: Call[Any], exc: Exception) -> None:
        """Record an attempt broken by a transport error if the request may have been sent."""
        if not isinstance(exc, NOT_SENT):
            self._record_attempt(call, "unknown")
        else:  # never left the client: no spend, and no reservation to keep
            for budget in self._budgets():
                budget.release(id(call))

    def _stream_retry_delay(
        self, call: Call[Any], attempt: int, exc: Exception, yielded: bool
    ) -> float:
        """The delay before re-opening a broken stream, or raise when it must not be retried.

        A stream is retried only before its first event: after that, a retry would repeat
        text the caller has already seen.
        """
        error = transport_error(exc)
        delay = None if yielded else self._retry_delay(attempt, error)
        if delay is None:
            raise StreamInterruptedError(
                f"The stream from {call.path} broke off: {error.message}"
            ) from None
        return delay

    def _assembler(self, call: Call[Any], headers: Mapping[str, str]) -> StreamAssembler:
        return StreamAssembler(
            call.endpoint or "chat",
            headers=headers,
            requested_model=call.model,
            byok_sent=call.byok,
        )
