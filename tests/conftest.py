"""Shared fixtures: one local Spark session per test session (starting one takes ~10 s)."""

from __future__ import annotations

import os
import sys

import pytest

# Spark's Python workers must run the same interpreter as the tests.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark():
    from sparkhash.spark.session import get_session

    session = get_session(
        master="local[2]",
        profile="local",
        app_name="sparkhash-tests",
        extra={"spark.sql.shuffle.partitions": "4", "spark.ui.showConsoleProgress": "false"},
    )
    yield session
    session.stop()
