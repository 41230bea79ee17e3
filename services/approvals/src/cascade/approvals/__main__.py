"""`python -m cascade.approvals`."""

from cascade.approvals.app import create_app
from cascade.approvals.ui_settings import UiSettings
from cascade.shared.serve import serve
from cascade.shared.startup import Role, load_settings_with

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults of both models.
    settings, ui_settings = load_settings_with("approvals", (Role.ADMIN_API,), UiSettings)
    serve(create_app(settings, ui_settings), settings.http_host, settings.approvals_port)
