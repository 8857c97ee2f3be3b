"""Tests of torch_impl.fit.cache: one fit per process, failures remembered."""

from __future__ import annotations

import pytest

from torch_impl.fit import NotConverged, cached_fit


def test_cached_fit_trains_once_and_remembers_failures():
    calls = []

    @cached_fit
    def fit(name: str, k: int) -> str:
        calls.append((name, k))
        if name == "bad":
            raise NotConverged("fit did not converge (scripted)")
        return f"{name}{k}"

    assert fit("good", 1) == fit("good", 1) == "good1"
    assert fit("good", 2) == "good2"
    assert calls == [("good", 1), ("good", 2)]
    with pytest.raises(NotConverged, match="scripted"):
        fit("bad", 1)
    with pytest.raises(NotConverged, match=r"scripted.*not retrained"):
        fit("bad", 1)
    assert calls.count(("bad", 1)) == 1
    fit.cache_clear()
    fit("good", 1)
    assert calls.count(("good", 1)) == 2
