"""Token usage and its estimated cost in US dollars.

Prices are per million tokens, by model family: input, output, cache write (5-minute TTL,
1.25 x input) and cache read (0.1 x input). Families the table does not know report no cost
until ``price_per_mtok`` is set in ``[tool.backcheck.agent]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: (input, output) US dollars per million tokens, matched on the model id's family prefix.
PRICE_TABLE: tuple[tuple[str, float, float], ...] = (
    ("claude-opus-4-0", 15.0, 75.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4-2025", 15.0, 75.0),
    ("claude-opus", 5.0, 25.0),
    ("claude-sonnet", 3.0, 15.0),
    ("claude-haiku-4", 1.0, 5.0),
    ("claude-haiku", 1.0, 5.0),
)
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10


def prices_for(
    model: str, override: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens for ``model``, or None when unknown."""
    if override is not None:
        return override
    for prefix, price_in, price_out in PRICE_TABLE:
        if model.startswith(prefix):
            return price_in, price_out
    return None


@dataclass
class Usage:
    """Token counts of one call or of a whole run, and what they cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float | None = 0.0
    calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Tokens counted against the budget: input, output and cache writes.

        Cache reads are left out: they are served from the prompt cache at a tenth of the input
        price (the cost budget still counts them), and counting them would end long tasks early.
        """
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens

    def add(self, other: Usage) -> None:
        """Accumulate another call's usage."""
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_creation_tokens += other.cache_creation_tokens
        self.calls += other.calls
        if self.cost_usd is None or other.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd += other.cost_usd

    def describe(self) -> str:
        """``12,345 tokens in / 678 out (cache 9,000 read), $0.0421``."""
        cache = ""
        if self.cache_read_tokens or self.cache_creation_tokens:
            cache = (
                f" (cache: {self.cache_read_tokens:,} read, {self.cache_creation_tokens:,} written)"
            )
        cost = "cost unknown for this model" if self.cost_usd is None else f"${self.cost_usd:.4f}"
        return (
            f"{self.input_tokens:,} tokens in / {self.output_tokens:,} out{cache}, "
            f"{self.calls} call{'s' if self.calls != 1 else ''}, {cost}"
        )


def usage_from_sdk(usage: Any, model: str, override: tuple[float, float] | None = None) -> Usage:
    """Convert an SDK ``Usage`` object into a priced :class:`Usage`."""
    u = Usage(
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
        cache_creation_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
        calls=1,
    )
    u.cost_usd = cost_of(u, model, override)
    return u


def cost_of(usage: Usage, model: str, override: tuple[float, float] | None = None) -> float | None:
    """Estimated dollars for ``usage`` on ``model``, or None when the price is unknown."""
    prices = prices_for(model, override)
    if prices is None:
        return None
    price_in, price_out = prices
    dollars = (
        usage.input_tokens * price_in
        + usage.output_tokens * price_out
        + usage.cache_creation_tokens * price_in * CACHE_WRITE_FACTOR
        + usage.cache_read_tokens * price_in * CACHE_READ_FACTOR
    )
    return dollars / 1_000_000
