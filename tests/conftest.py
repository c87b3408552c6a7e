"""Shared set-up: tests/ on sys.path, so tests can import `reference` (mpmath references)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
