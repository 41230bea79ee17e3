"""The e2e tests run on the three-broker cluster (RF 3, min ISR 2), as production does."""

from cascade.devstack.on_cluster import stack  # noqa: F401 (a fixture: pytest finds it here)
