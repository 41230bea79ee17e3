"""`python -m cascade.ns_pusher`."""

from cascade.ns_pusher.app import create_app
from cascade.shared.serve import serve
from cascade.shared.startup import Role, load_settings

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings = load_settings("ns-pusher", (Role.NETSUITE_CLIENT, Role.ADMIN_API))
    serve(create_app(settings), settings.http_host, settings.ns_pusher_port)
