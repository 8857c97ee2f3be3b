"""Fixtures of the engine's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def claims_dir(tmp_path: Path):
    """A directory to write claim modules into; returns a writer ``(name, source) -> Path``."""
    directory = tmp_path / "claims"
    directory.mkdir()

    def write(name: str, source: str) -> Path:
        path = directory / f"test_{name}.py"
        path.write_text(source)
        return path

    write.dir = directory
    return write
