"""`python -m cascade.netsuite_sim`: the simulator on `CASCADE_NETSUITE_SIM_PORT` (8009)."""

from cascade.netsuite_sim.app import create_app
from cascade.shared.serve import serve
from cascade.shared.startup import Role, load_settings

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings = load_settings("netsuite-sim", (Role.TEST_DOUBLE,))
    serve(create_app(settings), settings.http_host, settings.netsuite_sim_port)
