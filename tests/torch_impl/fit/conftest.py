"""Fixtures shared by the tests of torch_impl.fit."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # These problems are tiny: intra-op threads only add contention (tenfold slower on a
    # shared 2-core machine), so run them single-threaded and restore the setting.
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)
