"""What an endpoint's instances cost: on-demand SageMaker real-time hosting $/hour per ``ml.*`` type.

Why two sources: the AWS Price List API (``pricing:GetProducts``) has every type in every
region, but it needs the ``pricing:GetProducts`` permission and a route to
``api.pricing.us-east-1.amazonaws.com``, and neither is guaranteed (moto does not implement it
either). So the API is asked first (``source="auto"``), each (type, region) at most once a
run, and at its first failure it is abandoned for the rest of the run; the embedded table
below answers everything else. A price is an estimate for a report, never a reason to fail:
nothing here raises, and an instance type nobody knows gets ``(None, "unknown")``.

The table: on-demand Amazon SageMaker AI "Real-Time Inference" instance prices, USD per
instance-hour, region US East (N. Virginia) / us-east-1, as the page published them in
2024-2025 (the dates of the copies we could check); table written 2026-11-22.
Source: the AWS pricing page https://aws.amazon.com/sagemaker/pricing/ ("On-Demand Pricing",
"Real-Time Inference" tab). That page renders its tables with JavaScript and could not be read
when this table was written (no internet), so every figure comes from a published copy or from
our own knowledge of it, and each family's comment says which:
  [pub]  the same figure in at least one published copy of the hosting price (benchmark
         configs of SageMaker endpoints, cost write-ups citing the page, a Price List offer
         file excerpt);
  [est]  best knowledge, not confirmed by a copy we could read. For these families the figure
         is the EC2 Linux on-demand price times SageMaker's usual hosting mark-up for the
         family (x1.2 for t/m/c/r CPU types, x1.25 for g5/g6/g6e, which is how every [pub]
         figure of those families relates to EC2), rounded to the cent fraction AWS uses.
Other regions are usually 0-30% dearer; their rows are labelled "table (us-east-1 rate)" so a
reader knows. Prices change: ``source="auto"`` with the API reachable is the accurate path.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

HOURS_PER_MONTH = 730  # AWS's own convention: 24 x 365 / 12
TABLE_REGION = "us-east-1"
SERVICE_CODE = "AmazonSageMaker"
HOSTING_COMPONENT = "Hosting"  # product attribute `component` of real-time endpoint instances

SOURCE_API = "price-list-api"
SOURCE_TABLE = "table"
SOURCE_TABLE_OTHER_REGION = "table (us-east-1 rate)"
SOURCE_UNKNOWN = "unknown"
SOURCES = ("auto", "table")
Price = tuple[float | None, str]  # ($ an hour, where the figure came from)

# fmt: off
_TABLE: dict[str, float] = {
    # t2 [est: EC2 x1.2; ml.t2.medium 0.056 seen in copies]
    "ml.t2.medium": 0.056, "ml.t2.large": 0.111, "ml.t2.xlarge": 0.223, "ml.t2.2xlarge": 0.445,
    # t3 [pub]
    "ml.t3.medium": 0.05, "ml.t3.large": 0.10, "ml.t3.xlarge": 0.20, "ml.t3.2xlarge": 0.399,
    # m5 [pub: large, xlarge, 2xlarge; the rest est: EC2 x1.2]
    "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23, "ml.m5.2xlarge": 0.461, "ml.m5.4xlarge": 0.922,
    "ml.m5.12xlarge": 2.765, "ml.m5.24xlarge": 5.53,
    # m6i [est: EC2 x1.2; EC2 prices m6i = m5]
    "ml.m6i.large": 0.115, "ml.m6i.xlarge": 0.23, "ml.m6i.2xlarge": 0.461, "ml.m6i.4xlarge": 0.922,
    "ml.m6i.8xlarge": 1.843, "ml.m6i.12xlarge": 2.765, "ml.m6i.16xlarge": 3.686, "ml.m6i.24xlarge": 5.53,
    "ml.m6i.32xlarge": 7.373,
    # m7i [est: EC2 x1.2]
    "ml.m7i.large": 0.121, "ml.m7i.xlarge": 0.242, "ml.m7i.2xlarge": 0.484, "ml.m7i.4xlarge": 0.968,
    "ml.m7i.8xlarge": 1.935, "ml.m7i.12xlarge": 2.903, "ml.m7i.16xlarge": 3.871, "ml.m7i.24xlarge": 5.806,
    "ml.m7i.48xlarge": 11.612,
    # c5 [pub: xlarge, 2xlarge, 9xlarge; the rest est: EC2 x1.2]
    "ml.c5.large": 0.102, "ml.c5.xlarge": 0.204, "ml.c5.2xlarge": 0.408, "ml.c5.4xlarge": 0.816,
    "ml.c5.9xlarge": 1.836, "ml.c5.18xlarge": 3.672,
    # c6i [est: EC2 x1.2; EC2 prices c6i = c5]
    "ml.c6i.large": 0.102, "ml.c6i.xlarge": 0.204, "ml.c6i.2xlarge": 0.408, "ml.c6i.4xlarge": 0.816,
    "ml.c6i.8xlarge": 1.632, "ml.c6i.12xlarge": 2.448, "ml.c6i.16xlarge": 3.264, "ml.c6i.24xlarge": 4.896,
    "ml.c6i.32xlarge": 6.528,
    # c7i [est: EC2 x1.2]
    "ml.c7i.large": 0.107, "ml.c7i.xlarge": 0.214, "ml.c7i.2xlarge": 0.428, "ml.c7i.4xlarge": 0.857,
    "ml.c7i.8xlarge": 1.714, "ml.c7i.12xlarge": 2.57, "ml.c7i.16xlarge": 3.427, "ml.c7i.24xlarge": 5.141,
    "ml.c7i.48xlarge": 10.282,
    # r5 [pub: 2xlarge, 4xlarge, 8xlarge, 16xlarge; the rest est: EC2 x1.2]
    "ml.r5.large": 0.151, "ml.r5.xlarge": 0.302, "ml.r5.2xlarge": 0.605, "ml.r5.4xlarge": 1.21,
    "ml.r5.8xlarge": 2.419, "ml.r5.12xlarge": 3.629, "ml.r5.16xlarge": 4.838, "ml.r5.24xlarge": 7.258,
    # g4dn [pub]
    "ml.g4dn.xlarge": 0.7364, "ml.g4dn.2xlarge": 0.94, "ml.g4dn.4xlarge": 1.505, "ml.g4dn.8xlarge": 2.72,
    "ml.g4dn.12xlarge": 4.89, "ml.g4dn.16xlarge": 5.44,
    # g5 [pub, except 4xlarge, 8xlarge: est EC2 x1.25]
    "ml.g5.xlarge": 1.408, "ml.g5.2xlarge": 1.515, "ml.g5.4xlarge": 2.03, "ml.g5.8xlarge": 3.06,
    "ml.g5.12xlarge": 7.09, "ml.g5.16xlarge": 5.12, "ml.g5.24xlarge": 10.18, "ml.g5.48xlarge": 20.36,
    # g6 [pub: 2xlarge, 12xlarge, 16xlarge, 24xlarge; the rest est: EC2 x1.25]
    "ml.g6.xlarge": 1.006, "ml.g6.2xlarge": 1.222, "ml.g6.4xlarge": 1.654, "ml.g6.8xlarge": 2.518,
    "ml.g6.12xlarge": 5.752, "ml.g6.16xlarge": 4.246, "ml.g6.24xlarge": 8.344, "ml.g6.48xlarge": 16.688,
    # g6e [pub: 2xlarge (Price List offer file excerpt, 2.8026); the rest est: EC2 x1.25]
    "ml.g6e.xlarge": 2.326, "ml.g6e.2xlarge": 2.8026, "ml.g6e.4xlarge": 3.7553, "ml.g6e.8xlarge": 5.6607,
    "ml.g6e.12xlarge": 13.1158, "ml.g6e.16xlarge": 9.4715, "ml.g6e.24xlarge": 18.832, "ml.g6e.48xlarge": 37.664,
    # p3 [pub]
    "ml.p3.2xlarge": 3.825, "ml.p3.8xlarge": 14.688, "ml.p3.16xlarge": 28.152,
    # p4d, p5 [pub]
    "ml.p4d.24xlarge": 37.688,
    "ml.p5.48xlarge": 113.068,
    # inf1 [est: best knowledge; EC2 x1.3]
    "ml.inf1.xlarge": 0.297, "ml.inf1.2xlarge": 0.471, "ml.inf1.6xlarge": 1.534, "ml.inf1.24xlarge": 6.137,
    # inf2 [pub]
    "ml.inf2.xlarge": 0.99, "ml.inf2.8xlarge": 2.36, "ml.inf2.24xlarge": 7.79, "ml.inf2.48xlarge": 15.58,
    # trn1 [pub: 32xlarge; 2xlarge est: 1/16 of it, as on EC2]
    "ml.trn1.2xlarge": 1.781, "ml.trn1.32xlarge": 28.497,
}
# fmt: on

# Serverless provisioned concurrency, USD per GB-second of configured memory per unit of
# concurrency, us-east-1 [est: best knowledge of the pricing page's "Serverless Inference" tab;
# the page bills it on "the memory configured, duration provisioned, and the amount of
# concurrency enabled" (SageMaker developer guide, serverless-endpoints.html)].
PROVISIONED_CONCURRENCY_GB_SECOND_USD = 0.0000048
SERVERLESS_FAMILY = "ML Serverless"

_ACCELERATED = re.compile(r"^(?:g|p|inf|trn)\d")


def table_price(instance_type: str) -> float | None:
    """The embedded us-east-1 figure, or None when the type is not in the table."""
    return _TABLE.get(instance_type)


def is_accelerated(instance_type: str) -> bool:
    """True for GPU (g*, p*), Inferentia (inf*) and Trainium (trn*) types: idle ones cost the most."""
    family = instance_type.strip().lower().removeprefix("ml.").split(".", 1)[0]
    return bool(_ACCELERATED.match(family))


def monthly_cost(hourly: float | None, instances: int) -> float | None:
    """$/month of ``instances`` instances running all month, to the cent; None when the price is unknown."""
    if hourly is None:
        return None
    if instances < 0:
        raise ValueError(f"instance count must be 0 or more, got {instances}")
    return round(hourly * instances * HOURS_PER_MONTH, 2)
