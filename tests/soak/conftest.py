"""The soak runs on the fault-injection world of tests/faults (faultnet.py, faultworld.py): moto, a frozen clock
moved night by night, the ledger bucket and the digest topic."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))

from faultnet import net  # noqa: F401 - fixture
from faultworld import world  # noqa: F401 - fixture
