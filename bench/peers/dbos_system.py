"""The DBOS peer as the benchmark drives it (product venv): `replicas` app processes (DBOS
Transact + the thin front, each its own executor id, one application version), on the
benchmark's PostgreSQL with a system database of its own, in the peers' venv (see harness).
The driver's runs go to the app processes in turn, as a load balancer would send them."""

from __future__ import annotations

from bench.peers.harness import PeerSystem, with_driver
from cascade.devstack.service_process import free_port


class DbosSystem(PeerSystem):
    name = "dbos"
    db_prefix = "peer_dbos"

    async def _start_engine(self, replicas: int) -> None:
        sys_db = f"{self.database}_sys"  # DBOS creates it at launch
        self.databases.append(sys_db)
        env = {
            "PEER_DATABASE_URL": self._app_url("postgresql+psycopg"),
            "PEER_SYS_DATABASE_URL": with_driver(self.admin_url, sys_db, "postgresql"),
        }
        apps = []
        for i in range(replicas):
            port = free_port()
            apps.append(self.peer_process(
                "app", ["-m", "bench.peers.dbos_app"],
                {**env, "PEER_PORT": str(port), "PEER_EXECUTOR_ID": f"app-{i}"},
                port=port, suffix=f"-{i}",
            ))  # fmt: skip
        self.procs["app"] = list(apps)
        # One at a time: the first launch creates and migrates the system database.
        for app in apps:
            app.start()
            await app.wait_ready(health="dbos-app")
        self.fronts = [f"http://127.0.0.1:{a.port}" for a in apps]
