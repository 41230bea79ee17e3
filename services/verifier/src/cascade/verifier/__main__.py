"""`python -m cascade.verifier`."""

from cascade.shared.objectstore import ObjectStoreSettings
from cascade.shared.serve import serve
from cascade.shared.startup import Role, load_settings_with
from cascade.verifier.app import create_app

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings, store_settings = load_settings_with(
        "verifier", (Role.NETSUITE_CLIENT,), ObjectStoreSettings
    )
    serve(create_app(settings, store_settings), settings.http_host, settings.verifier_port)
