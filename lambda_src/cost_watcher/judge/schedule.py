"""An endpoint's quiet-hours schedule: which parts scale in during its windows, to what, and what that saves. Pure.

Only what can give instances back is scheduled:
- a real-time variant above its floor of one instance (UpdateEndpointWeightsAndCapacities and
  autoscaling cannot take a classic variant below one): to 1 instance;
- an asynchronous endpoint's variant with a scalable target: to 0 instances (AWS: "you can also
  scale down your asynchronous endpoints instances to zero. Requests that are received when there
  are zero instances are queued", https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html);
  without a target it is treated as real-time;
- the inference components of an endpoint whose variant allows zero instances
  (`ManagedInstanceScaling.MinInstanceCount` 0): to 0 copies, and managed instance scaling gives
  every instance back (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
Savings = instances given back x their on-demand $/hour x quiet hours a week x 730 / 168.
"""

from __future__ import annotations

from cost_watcher.judge import timetable as tt
from cost_watcher.judge.cost import PriceLookup
from cost_watcher.judge.pricing import HOURS_PER_MONTH
from cost_watcher.judge.timetable import Timetable
from cost_watcher.model import Endpoint, Schedule, component_resource_id, variant_resource_id
from cost_watcher.words import money, plural

VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
COMPONENT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
CLASSIC_FLOOR = 1
WEEKS_A_MONTH = HOURS_PER_MONTH / tt.HOURS_A_WEEK


def plan(endpoint: Endpoint, timetable: Timetable | None, prices: PriceLookup,
         counts: dict[str, int] | None = None) -> Schedule | None:
    """The schedule of this endpoint, or None (no quiet window, or nothing above its floor).

    `counts` are the instances (copies) per variant (component) to plan from when the live ones
    are not it: an applied schedule's recorded originals, read at night while it is scaled in."""
    if timetable is None or not timetable.windows:
        return None
    counts = counts or {}
    targets = _component_targets(endpoint, prices, counts) if endpoint.components else \
        _variant_targets(endpoint, prices, counts)
    if not targets:
        return None
    return with_targets(timetable, targets, endpoint)


def with_targets(timetable: Timetable, targets: list[dict], endpoint: Endpoint | None = None) -> Schedule:
    groups = tt.groups(timetable.windows)
    hours = timetable.quiet_hours_per_week
    priced = [t for t in targets if t.get("HourlyUsd") is not None]
    savings = None if len(priced) < len(targets) else round(
        sum((t["Instances"] - t["InstancesTo"]) * t["HourlyUsd"] for t in targets) * hours * WEEKS_A_MONTH, 2)
    scale_to = {t["Name"]: t["To"] for t in targets}
    schedule = Schedule(groups, timetable.timezone, scale_to, savings, hours, targets, timetable.busy)
    schedule.sentence = sentence(schedule, endpoint)
    return schedule


def _variant_targets(endpoint: Endpoint, prices: PriceLookup, counts: dict[str, int]) -> list[dict]:
    targets = []
    for variant in endpoint.variants:
        if variant.serverless or variant.shadow or variant.pools:
            continue  # no instances to schedule, a copy of the traffic, or several prices in one count
        count = counts.get(variant.name, variant.desired_instance_count or variant.instance_count or 0)
        floor = 0 if endpoint.asynchronous and variant.name in endpoint.scaling else CLASSIC_FLOOR
        if count <= floor:
            continue
        hourly, _ = prices(variant.instance_type or "", endpoint.region)
        targets.append({"Name": variant.name, "ResourceId": variant_resource_id(endpoint.name, variant.name),
                        "ScalableDimension": VARIANT_DIMENSION, "From": count, "To": floor,
                        "Instances": count, "InstancesTo": floor, "HourlyUsd": hourly})
    return targets


def _component_targets(endpoint: Endpoint, prices: PriceLookup, counts: dict[str, int]) -> list[dict]:
    """All components to 0 copies, only where every hosting variant lets its instances go to 0."""
    hosts = [v for v in endpoint.variants if not v.serverless and not v.shadow]
    if not hosts or any(v.min_instance_count != 0 for v in hosts):
        return []
    targets = []
    for component in endpoint.components:
        copies = counts.get(component.name, component.copy_count or 0)
        if copies <= 0:
            continue
        targets.append({"Name": component.name, "ResourceId": component_resource_id(component.name),
                        "ScalableDimension": COMPONENT_DIMENSION, "From": copies, "To": 0,
                        "Instances": 0, "InstancesTo": 0, "HourlyUsd": 0.0})
    if targets:  # the instances go when the last copy does: counted once, on the first component
        instances = sum(counts.get(v.name, v.instance_count or 0) for v in hosts)
        hourly = [prices(v.instance_type or "", endpoint.region)[0] for v in hosts]
        targets[0]["Instances"] = instances
        targets[0]["HourlyUsd"] = None if None in hourly or not instances else \
            sum(h * counts.get(v.name, v.instance_count or 0) for h, v in zip(hourly, hosts, strict=True)) / instances
    return targets


def describe_windows(schedule: Schedule) -> str:
    return ", ".join(tt.describe(group) for group in schedule.windows)


def sentence(schedule: Schedule, endpoint: Endpoint | None = None) -> str:
    """'quiet Mon-Thu 19:00-07:00, Fri 19:00-Mon 07:00 (Europe/Paris): scaling to 1 instance saves ~$612/month'."""
    components = bool(endpoint and endpoint.components)
    lowest = min(schedule.scale_to.values())
    what = f"{plural(lowest, 'copy', 'copies')} (its instances with them)" if components else plural(lowest, "instance")
    saves = (f"saves ~{money(schedule.monthly_savings_usd)}/month" if schedule.monthly_savings_usd is not None
             else "saves an amount we could not price")
    return f"quiet {describe_windows(schedule)} ({schedule.timezone}): scaling to {what} {saves}"


def from_dict(data: dict) -> tuple[list[dict], str]:
    """(windows, timezone) of a schedule as a ledger record keeps it."""
    return list(data.get("windows", [])), str(data.get("timezone", "UTC"))
