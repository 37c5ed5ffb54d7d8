"""moto's Step Functions interpreter as AWS runs a Distributed Map, for organization mode's tests.

Two differences, and what is done about them:
- moto runs every item of a Distributed Map and tolerates any number of failed ones
  (ToleratedFailurePercentage "currently has no effect"); AWS fails the Map Run with
  States.ExceedToleratedFailureThreshold once the failed share exceeds the threshold.
  `tolerate_failed_items()` holds moto's Map Run to the threshold when its items are done (AWS
  would stop starting items at that point; the Map's outcome is the same).
  https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html#maprun-fail-threshold
- moto's ASL grammar reads ToleratedFailurePercentage only as a decimal (5.0), where AWS takes
  any number 0-100; `for_moto(definition)` writes it so.
- moto deep-copies a state machine at every StartExecution, its backend and running executions
  (and their locks) included, so a second execution fails; `tolerate_failed_items()` also
  makes that copy share the live parts, so a machine runs as often as on AWS.
"""

from __future__ import annotations

import json
from typing import Any


def for_moto(definition: str) -> str:
    """The same definition, with every ToleratedFailurePercentage written as a decimal."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: float(value) if key == "ToleratedFailurePercentage" else walk(value)
                    for key, value in node.items()}
        return [walk(item) for item in node] if isinstance(node, list) else node

    return json.dumps(walk(json.loads(definition)))


def tolerate_failed_items() -> None:
    """A Distributed Map fails once its failed items exceed the tolerated percentage (or count), as
    on AWS; below it the Map succeeds (idempotent)."""
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as component,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    iteration = component.DistributedIterationComponent
    if getattr(iteration._map_run, "tolerates", False):
        return
    original = iteration._map_run

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        record = eval_input.map_run_record
        original(self, env, eval_input)  # moto tolerates every failed item (output None)
        failed, total = record.item_counter.failed.get(), record.item_counter.total.get()
        percentage, count = float(record.tolerated_failure_percentage or 0), int(record.tolerated_failure_count or 0)
        if failed > count and total and 100.0 * failed / total > percentage:
            env.stack.pop()  # the Map's output: the Map Run failed instead
            error = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
            details = MapRunFailedEventDetails(error=error.error_name, cause=f"{failed} of {total} items failed, "
                                               f"more than the tolerated {percentage}%")
            raise FailureEventException(FailureEvent(
                env=env, error_name=error, event_type=HistoryEventType.MapRunFailed,
                event_details=EventDetails(mapRunFailedEventDetails=details)))

    _map_run.tolerates = True  # type: ignore[attr-defined]
    iteration._map_run = _map_run
    _start_executions_repeatedly()


def _start_executions_repeatedly() -> None:
    import copy

    from moto.stepfunctions.models import StateMachine

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = copy.copy(self)
        memo[id(self)] = clone
        for name, value in vars(self).items():
            if name not in ("backend", "executions"):  # live parts: shared, as a copy of a definition would
                setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    StateMachine.__deepcopy__ = __deepcopy__  # type: ignore[attr-defined]
