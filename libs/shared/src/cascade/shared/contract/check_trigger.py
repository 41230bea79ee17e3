"""Cross-checks of the trigger against the inputs: an event's mapping names real inputs and
fills every required one; a schedule has no one to ask for inputs, so it needs none."""

from __future__ import annotations

from collections.abc import Iterator

from .checks import Problem
from .models import Contract


def check_trigger(contract: Contract) -> Iterator[Problem]:
    """Every problem of the trigger that only the inputs can show."""
    trigger = contract.trigger
    inputs = {spec.name: spec for spec in contract.inputs}
    required = [spec.name for spec in contract.inputs if spec.required]
    if trigger.kind == "event":
        if not trigger.inputs_from:
            message = "an event trigger needs inputs_from: input name -> JSONPath into the event"
            yield Problem(("trigger",), message)
        for name in trigger.inputs_from:
            if name not in inputs:
                known = sorted(inputs)
                message = f"unknown input {name!r}; expected one of {known}"
                yield Problem(("trigger", "inputs_from", name), message)
        unmapped = [name for name in required if name not in trigger.inputs_from]
        if trigger.inputs_from and unmapped:
            message = f"required inputs {unmapped} have no JSONPath; every event would be refused"
            yield Problem(("trigger", "inputs_from"), message)
    if trigger.kind == "cron" and required:
        message = (
            f"a cron run has no one to give it inputs, so inputs {required} cannot be required; "
            "make them optional with a default"
        )
        yield Problem(("trigger",), message)
