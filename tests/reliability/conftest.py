"""Reliability tests import ``tests.fakes`` and ``eval``: put the repo root on the path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
