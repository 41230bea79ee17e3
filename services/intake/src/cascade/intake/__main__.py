"""`python -m cascade.intake`."""

from cascade.intake.app import create_app
from cascade.shared.serve import serve
from cascade.shared.startup import load_settings

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings = load_settings("intake")
    serve(create_app(settings), settings.http_host, settings.intake_port)
