"""One fit per process: :func:`cached_fit`, a cache that remembers failures too.

A fit shared by several claims is trained once per audit run, and a fit that did not converge
is not retrained by every claim that needs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from torch_impl.fit.result import NotConverged
from torch_impl.validation import IsCallable, validate_params

__all__ = ["cached_fit"]


@validate_params(function=IsCallable())
def cached_fit(function: Callable[..., object]) -> Callable[..., object]:
    """Cache a fitting function by its (hashable) arguments, failures included.

    Like :func:`functools.cache`, and a :class:`NotConverged` raised by ``function`` is cached
    too: a fit shared by several claims is trained once per process, and a failed one is not
    retrained by every claim that needs it (each gets the first failure, marked as cached).
    ``cache_clear()`` empties the cache.
    """
    outcomes: dict[object, object] = {}

    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> object:
        key = (args, tuple(sorted(kwargs.items())))
        if key in outcomes:
            outcome = outcomes[key]
            if isinstance(outcome, NotConverged):
                raise NotConverged(
                    f"{outcome} [the same fit failed earlier in this run; not retrained]"
                ) from outcome
            return outcome
        try:
            outcome = function(*args, **kwargs)
        except NotConverged as exc:
            outcomes[key] = exc
            raise
        outcomes[key] = outcome
        return outcome

    wrapper.cache_clear = outcomes.clear  # type: ignore[attr-defined]
    return wrapper
