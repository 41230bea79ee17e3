"""`python -m cascade.verifier`."""

from cascade.shared.serve import serve
from cascade.shared.settings import Settings
from cascade.verifier.app import create_app

if __name__ == "__main__":
    settings = Settings()
    serve(create_app(settings), settings.http_host, settings.verifier_port)
