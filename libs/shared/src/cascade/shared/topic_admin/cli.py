"""``cascade admin topics plan|apply``: the project's topics on the cluster of
`CASCADE_KAFKA_BOOTSTRAP`, as `CASCADE_TOPIC_*` declares them.

`plan` changes nothing; `apply` makes the plan's changes. Exit status: 0 the cluster matches
(after apply: everything apply can change was changed, nothing drifted), 2 drift reported
(plan: anything differs; apply: differences it does not change, such as fewer partitions
or another replication factor), 3 no broker reachable, 1 any other error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka.errors import KafkaConnectionError

from cascade.shared.startup import load_settings_with
from cascade.shared.topic_admin import kafka_io
from cascade.shared.topic_admin.provision import apply_topics, plan_for, project_specs
from cascade.shared.topic_admin.settings import TopicSettings

OK, ERROR, DRIFT, UNREACHABLE = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    """Run ``cascade admin ...`` (``argv`` after the group name)."""
    options = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    settings, topics = load_settings_with("admin", (), TopicSettings)
    bootstrap = options.bootstrap or settings.kafka_bootstrap
    prefix = settings.topic_prefix if options.prefix is None else options.prefix
    specs = project_specs(prefix, settings.contracts_dir, topics)
    try:
        if options.action == "plan":
            plan = asyncio.run(plan_for(bootstrap, specs, topics.admin_timeout_s))
            status = OK if plan.clean else DRIFT
        else:
            plan = asyncio.run(apply_topics(bootstrap, specs, topics.admin_timeout_s)).plan
            status = DRIFT if plan.drift else OK
    except (kafka_io.KafkaUnreachable, KafkaConnectionError) as exc:
        print(f"cascade admin topics: {exc}", file=sys.stderr)
        return UNREACHABLE
    except Exception as exc:  # a refused change, a broker error: say it, exit 1
        print(f"cascade admin topics: {type(exc).__name__}: {exc}", file=sys.stderr)
        return ERROR
    verb = "planned" if options.action == "plan" else "applied"
    print(f"# {verb} against {bootstrap}, {len(specs)} topics")
    print("\n".join(plan.lines()))
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cascade admin", description=__doc__.split("\n")[0])
    groups = parser.add_subparsers(dest="group", required=True)
    topics = groups.add_parser("topics", help="declare the project's Kafka topics")
    topics.add_argument("action", choices=("plan", "apply"))
    topics.add_argument("--bootstrap", help="brokers (default $CASCADE_KAFKA_BOOTSTRAP)")
    topics.add_argument("--prefix", help="topic prefix (default $CASCADE_TOPIC_PREFIX)")
    return parser
