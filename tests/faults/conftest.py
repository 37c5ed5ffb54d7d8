"""The fault-injection fixtures: `net` (faultnet.py) and `world` (faultworld.py), shared with tests/soak."""

from faultnet import net  # noqa: F401 - fixture
from faultworld import world  # noqa: F401 - fixture
