"""Settings of the approvals UI and of email sending, read once in the composition root."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class UiSettings(BaseSettings):
    """`CASCADE_*` settings that only the approvals service reads."""

    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore")

    # An argon2 hash (`python -m cascade.approvals.hash_password`); unset, nobody logs in.
    admin_password_hash: SecretStr | None = None
    # Only for plain-http local use: drops `Secure` and with it the `__Host-` prefix,
    # which browsers refuse on a cookie without `Secure`.
    ui_insecure_cookies: bool = False
    ui_session_idle_s: int = Field(default=30 * 60, ge=1)
    ui_session_absolute_s: int = Field(default=12 * 3600, ge=1)
    # Failed logins: free tries per address, then a doubling delay capped low enough that
    # an attacker can slow Mike down but never lock him out for good.
    ui_login_free_failures: int = Field(default=3, ge=0)
    ui_login_base_delay_s: float = Field(default=1.0, gt=0)
    ui_login_max_delay_s: float = Field(default=300.0, gt=0)
    # Failures from all addresses together: a wider budget and a shorter cap.
    ui_login_global_free_failures: int = Field(default=50, ge=0)
    ui_login_global_max_delay_s: float = Field(default=30.0, gt=0)
    ui_sse_poll_s: float = Field(default=1.0, gt=0)

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "cascade@localhost"
    smtp_timeout_s: float = Field(default=30.0, gt=0)

    @property
    def cookie_name(self) -> str:
        """`__Host-` needs `Secure`, so the insecure local mode uses a plain name."""
        return "cascade_session" if self.ui_insecure_cookies else "__Host-cascade_session"

    @property
    def login_cookie_name(self) -> str:
        """The pre-login CSRF cookie (double submit), named like the session cookie."""
        return "cascade_login" if self.ui_insecure_cookies else "__Host-cascade_login"

    def production_problems(self) -> list[str]:
        """What `CASCADE_ENV=production` refuses in these settings (cascade.shared.startup)."""
        problems = []
        if self.admin_password_hash is None:
            problems.append("CASCADE_ADMIN_PASSWORD_HASH is unset: nobody could log in to the UI")
        if self.ui_insecure_cookies:
            problems.append("CASCADE_UI_INSECURE_COOKIES is true: session cookies without Secure")
        if not self.smtp_host:
            problems.append("CASCADE_SMTP_HOST is unset: approved emails could not be sent")
        return problems
