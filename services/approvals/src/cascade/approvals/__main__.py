"""`python -m cascade.approvals`."""

from cascade.approvals.app import create_app
from cascade.shared.serve import serve
from cascade.shared.settings import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(create_app(settings), settings.http_host, settings.approvals_port)
