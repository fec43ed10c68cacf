"""How long to wait before trying a failed piece of work again: the one back-off formula."""

from __future__ import annotations

import random


def backoff(attempt: int, *, first: float, longest: float, jitter: float = 0.0) -> float:
    """Seconds to wait after the `attempt`-th failure (1 = the first): `first`, doubling
    each time, at most `longest`. `jitter` (0..1) takes a random share of that off, so work
    that failed together does not come back together; 1 is "full jitter"."""
    wait = min(longest, first * 2.0 ** max(0, attempt - 1))
    return wait * (1.0 - jitter * random.random())
