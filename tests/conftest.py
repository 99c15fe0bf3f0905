"""Fixtures shared by unit and functional tests (no services here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: nova's and Watcher's published notification samples (Apache-2.0 data
#: files, provenance in each folder's README.txt), kept in the repo so that a
#: fresh clone tests by itself. GRAPHCDM_SHARED_DATA points elsewhere (e.g. a
#: newer copy of the same folders) when set.
SHARED_DATA = Path(os.environ.get("GRAPHCDM_SHARED_DATA")
                   or Path(__file__).resolve().parent / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real nova/Watcher sample data; fail, not skip, when it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"sample data not found at {SHARED_DATA} (set GRAPHCDM_SHARED_DATA)")
    return SHARED_DATA
