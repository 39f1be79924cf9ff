import os
import uuid

import pytest

from auraison_dataplane import DataPlane


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("DATAPLANE_URL")
    if not url:
        pytest.skip("DATAPLANE_URL is not set: scripts/test.sh starts a service and sets it")
    return url


@pytest.fixture
def plane(base_url) -> DataPlane:
    return DataPlane(base_url, os.environ.get("DATAPLANE_API_KEY"))


@pytest.fixture
def tenant() -> str:
    """A tenant of its own per test, so tests never see each other's rows."""
    return "py_" + uuid.uuid4().hex[:12]
