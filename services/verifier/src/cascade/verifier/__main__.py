"""`python -m cascade.verifier`."""

from cascade.shared.serve import serve
from cascade.shared.startup import Role, load_settings
from cascade.verifier.app import create_app

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings = load_settings("verifier", (Role.NETSUITE_CLIENT,))
    serve(create_app(settings), settings.http_host, settings.verifier_port)
