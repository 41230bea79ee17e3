"""What `CASCADE_ENV=production` refuses in the approvals service's own settings. No IO."""

from __future__ import annotations

from pydantic import SecretStr

from cascade.approvals.ui_settings import UiSettings


def test_production_refuses_no_password_hash_insecure_cookies_and_no_smtp() -> None:
    settings = UiSettings(admin_password_hash=None, ui_insecure_cookies=True, smtp_host=None)
    assert settings.production_problems() == [
        "CASCADE_ADMIN_PASSWORD_HASH is unset: nobody could log in to the UI",
        "CASCADE_UI_INSECURE_COOKIES is true: session cookies without Secure",
        "CASCADE_SMTP_HOST is unset: approved emails could not be sent",
    ]


def test_a_complete_ui_configuration_passes() -> None:
    settings = UiSettings(
        admin_password_hash=SecretStr("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"),
        ui_insecure_cookies=False,
        smtp_host="smtp.example.com",
    )
    assert settings.production_problems() == []
