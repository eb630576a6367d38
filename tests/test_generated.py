"""The files written from the server's code (scripts/generate) are up to date."""

from __future__ import annotations

import subprocess
import sys

from tests.support.procs import ROOT


def test_generated_client_types_and_settings_table_are_current() -> None:
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generated.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout
