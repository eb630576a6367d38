"""Offline checks of what deploy/ ships: no Docker engine or cluster is needed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.support.procs import ROOT

DEPLOY = ROOT / "deploy"


def tool(name: str) -> str:
    """A command-line tool installed with the test requirements (next to this Python)."""
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        pytest.fail(f"{name} is missing: pip install -r requirements-dev.txt")
    return on_path
