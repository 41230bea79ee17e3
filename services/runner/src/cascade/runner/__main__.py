"""`python -m cascade.runner`."""

from cascade.runner.app import create_app
from cascade.shared.objectstore import ObjectStoreSettings
from cascade.shared.serve import serve
from cascade.shared.startup import load_settings_with

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings, store_settings = load_settings_with("runner", (), ObjectStoreSettings)
    serve(create_app(settings, store_settings), settings.http_host, settings.runner_port)
