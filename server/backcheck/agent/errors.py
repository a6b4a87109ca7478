"""Anthropic SDK errors turned into one line a person understands, saying what to do next.

The SDK already retries 408, 409, 429, 5xx and connection errors (``max_retries``); what reaches
:func:`describe_api_error` is what is left once those retries are spent, or an error the API
sent in the middle of a streamed response.
"""

from __future__ import annotations

import anthropic

NO_KEY_MESSAGE = (
    "backcheck agent: ANTHROPIC_API_KEY is not set; export your Anthropic API key "
    "(https://console.anthropic.com/settings/keys) and run the task again. "
    "Diagnostics, quick fixes and the TUI work without it."
)


def _api_detail(exc: anthropic.APIStatusError) -> str:
    detail = exc.api_message or ""
    if not detail and isinstance(exc.body, dict):
        err = exc.body.get("error")
        if isinstance(err, dict):
            detail = str(err.get("message") or "")
    detail = " ".join(detail.split())
    return f" ({detail[:160]})" if detail else ""


def describe_api_error(exc: BaseException, *, base_url: str | None = None) -> str:
    """One line naming what went wrong with the Anthropic API and what to do about it."""
    where = f" at {base_url}" if base_url else ""
    if isinstance(exc, anthropic.AuthenticationError):
        return (
            "The Anthropic API refused the API key (401): check ANTHROPIC_API_KEY, or create a "
            "new key in the Anthropic console." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.PermissionDeniedError):
        return (
            "The API key may not use this model or feature (403): pick another model in "
            "[tool.backcheck.agent] model, or check the key's workspace." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.NotFoundError):
        return (
            "The API did not find the model or endpoint (404): check [tool.backcheck.agent] model "
            "and ANTHROPIC_BASE_URL." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.RateLimitError):
        return (
            "Rate limited by the Anthropic API (429) even after retries: wait a minute and run "
            "the task again, or lower max_output_tokens." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.PaymentRequiredError):
        return (
            "The Anthropic account needs credit (402): add billing in the console."
            + _api_detail(exc)
        )
    if isinstance(exc, anthropic.ContentTooLargeError):
        return "The request was too large for the API (413): start a smaller task." + _api_detail(
            exc
        )
    if isinstance(exc, anthropic.BadRequestError):
        return (
            "The API rejected the request as invalid (400); this is likely a backcheck bug, "
            "please report it with the transcript." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.OverloadedError):
        return (
            "The Anthropic API is overloaded (529) and retries did not get through: try again "
            "in a few minutes." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.InternalServerError):
        return (
            f"The Anthropic API had a server error ({exc.status_code}) after retries: try again "
            "shortly." + _api_detail(exc)
        )
    if isinstance(exc, anthropic.APIStatusError):
        kind = exc.type or ""
        if exc.status_code == 200 or kind:
            # An ``error`` event inside a streamed response arrives with the stream's 200 status.
            label = {
                "overloaded_error": "the API is overloaded",
                "api_error": "the API had an internal error",
                "rate_limit_error": "the rate limit was reached",
            }.get(kind, kind or "an error event")
            return (
                f"The response stream broke off: {label}. Run the task again; the work done so "
                "far is kept." + _api_detail(exc)
            )
        return f"The Anthropic API answered HTTP {exc.status_code}." + _api_detail(exc)
    if isinstance(exc, anthropic.APITimeoutError):
        return (
            f"The Anthropic API did not answer in time{where}: check the network, or raise "
            "[tool.backcheck.agent] request_timeout."
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return (
            f"Cannot reach the Anthropic API{where}: check the network connection, a proxy, or "
            "ANTHROPIC_BASE_URL."
        )
    if isinstance(exc, anthropic.APIResponseValidationError):
        return "The API sent a response backcheck could not read: check ANTHROPIC_BASE_URL."
    if isinstance(exc, anthropic.AnthropicError):
        text = " ".join(str(exc).split())[:200]
        return f"The Anthropic client failed: {text}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
