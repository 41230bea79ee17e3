"""The fan-out as a graph: dependencies, cycles, levels and which steps may run next."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from .steps import StepBase


def needs_map(steps: Sequence[StepBase]) -> dict[str, tuple[str, ...]]:
    """Step id -> the ids it needs that exist (unknown references are ignored here)."""
    ids = {step.id for step in steps}
    return {step.id: tuple(n for n in step.needs if n in ids) for step in steps}


def find_cycle(needs: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One cycle as a closed path ``[a, b, a]``, or None when the graph is acyclic."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for dep in needs.get(node, ()):
            if state.get(dep) == "open":
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in needs:
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def ancestors(needs: Mapping[str, Sequence[str]], node: str) -> frozenset[str]:
    """Every step that must finish before ``node`` (its needs, transitively)."""
    seen: set[str] = set()
    todo = list(needs.get(node, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(needs.get(current, ()))
    return frozenset(seen - {node})


def levels(needs: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Longest-path depth of each step (0 = no needs); steps on a cycle get no level."""
    depth: dict[str, int] = {}
    remaining = dict(needs)
    while remaining:
        ready = [n for n, deps in remaining.items() if all(d in depth for d in deps)]
        if not ready:
            break
        for node in ready:
            depth[node] = 1 + max((depth[d] for d in remaining[node]), default=-1)
            del remaining[node]
    return depth


def ready_steps(
    needs: Mapping[str, Sequence[str]], done: Collection[str], started: Collection[str] = ()
) -> list[str]:
    """Steps whose needs are all done and that have not started: the runner may start them
    now, concurrently."""
    return [
        node
        for node, deps in needs.items()
        if node not in done and node not in started and all(d in done for d in deps)
    ]
