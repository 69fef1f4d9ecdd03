"""The wheel carries conf/ where the installed package finds it (no source tree around)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_install_finds_spark_settings(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], check=True
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", *map(str, wheels.glob("*.whl"))], check=True
    )
    code = (
        "from sparkhash.conf import conf_dir, profile_settings; import sys; "
        "d = conf_dir(); assert str(d).startswith(sys.prefix), d; "
        "assert profile_settings('cluster')['spark.sql.execution.arrow.maxRecordsPerBatch']; print(d)"
    )
    out = subprocess.run([str(python), "-c", code], cwd=tmp_path, check=True, capture_output=True, text=True)
    assert out.stdout.strip().endswith("share/sparkhash/conf")
