#!/usr/bin/env python3
"""CDK entry point (`cdk synth`, `cdk deploy`): settings come from cdk.json context and `-c key=value`."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
for path in (ROOT, ROOT / "lambda_src"):  # the engine's settings validate the shared keys
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from infra.entry import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
