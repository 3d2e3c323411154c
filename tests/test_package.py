"""The package as a whole: what importing it says on a Python too old for it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_old_python_is_told_the_version_oautom_needs():
    # A Python 3.10 would fail on `from enum import StrEnum`, deep in the package: say why first
    done = subprocess.run([sys.executable, '-c', 'import sys; sys.version_info = (3, 10, 12); '
                           'import oautom'], cwd=ROOT, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f'ImportError: oautom needs Python 3.11 or newer; this is Python 3.10.12 '
        f'({sys.executable})')
