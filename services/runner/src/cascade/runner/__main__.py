"""`python -m cascade.runner`."""

from cascade.runner.app import create_app
from cascade.shared.serve import serve
from cascade.shared.settings import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(create_app(settings), settings.http_host, settings.runner_port)
