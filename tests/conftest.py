"""Fixtures shared by unit and functional tests (no services here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ../shared/data beside the checkout (CI puts shared/ beside the clone).
SHARED_DATA = Path(os.environ.get(
    "GRAPHCDM_SHARED_DATA",
    Path(__file__).resolve().parents[2] / "shared" / "data",
))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real nova/Watcher sample data; fail, not skip, when it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"sample data not found at {SHARED_DATA} (set GRAPHCDM_SHARED_DATA)")
    return SHARED_DATA
