"""What operators watch: JSON logs bound to the run being handled (`logs`), and the
Prometheus metrics of every service on `GET /metrics` (`metrics`, `db_gauges`,
`kafka_lag`, `endpoint`)."""

from cascade.shared.observability.logs import (
    LogFormat,
    bind_workflow_type,
    bound_run,
    configure_logging,
)
from cascade.shared.observability.metrics import ServiceMetrics

__all__ = ["LogFormat", "ServiceMetrics", "bind_workflow_type", "bound_run", "configure_logging"]
