"""Shared set-up: tests/ on sys.path, so tests can import `reference` (mpmath references)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Compiled-function cache in a temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("ACTCLI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
