#!/usr/bin/env python3
"""CDK entry point (`cdk synth`, `cdk deploy`): settings come from cdk.json context and `-c key=value`."""

import os
import sys
from pathlib import Path

# jsii prints a page-wide end-of-life banner on every synth under Node 20, the version this project's
# CI runs; set before aws_cdk starts its Node process, so `npx cdk deploy` as documented shows none.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parent
for path in (ROOT, ROOT / "lambda_src"):  # the engine's settings validate the shared keys
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from infra.entry import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
