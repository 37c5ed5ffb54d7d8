"""One way to write a test endpoint, so every suite's fleet reads the same."""

from __future__ import annotations

from typing import Any

from cost_watcher.sim.specs import EndpointSpec, VariantSpec
from tests.support.names import REGION


def spec(name: str, *, tags: dict[str, str] | None = None, count: int = 1, instance_type: str = "ml.m5.large",
         region: str = REGION, traffic: Any = None, **kwargs: Any) -> EndpointSpec:
    """An endpoint 60 days old with one variant, silent unless `traffic` (or `variants`) says otherwise."""
    variant = VariantSpec(instance_type=instance_type, count=count, **({"traffic": traffic} if traffic else {}))
    return EndpointSpec(name, region, kwargs.pop("variants", (variant,)), tags=tags or {}, **kwargs)
