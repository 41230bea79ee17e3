"""Settings of the approvals UI and of email sending, read once in the composition root."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from cascade.shared.settings_config import settings_config


class UiSettings(BaseSettings):
    """`CASCADE_*` settings that only the approvals service reads."""

    model_config = settings_config()

    admin_password_hash: SecretStr | None = None
    """Argon2 hash of Mike's UI password (`python -m cascade.approvals.hash_password`);
    unset, nobody logs in."""
    ui_insecure_cookies: bool = False
    """Only for plain-http local use: drops `Secure` and with it the `__Host-` prefix, which
    browsers refuse on a cookie without `Secure`."""
    ui_session_idle_s: int = Field(default=30 * 60, ge=1)
    """A UI session ends after this long without a request."""
    ui_session_absolute_s: int = Field(default=12 * 3600, ge=1)
    """A UI session ends this long after login, however active."""
    # Failed logins: a doubling delay capped low enough that an attacker can slow Mike down
    # but never lock him out for good.
    ui_login_free_failures: int = Field(default=3, ge=0)
    """Failed logins per address before each further try waits."""
    ui_login_base_delay_s: float = Field(default=1.0, gt=0)
    """First delay after the free failures of one address (doubles)."""
    ui_login_max_delay_s: float = Field(default=300.0, gt=0)
    """Cap of one address's login delay."""
    ui_login_global_free_failures: int = Field(default=50, ge=0)
    """Failed logins from all addresses together before every try waits."""
    ui_login_global_max_delay_s: float = Field(default=30.0, gt=0)
    """Cap of the all-addresses login delay (shorter than one address's)."""
    ui_sse_poll_s: float = Field(default=1.0, gt=0)
    """How often the inbox's server-sent event stream looks for new proposals."""

    smtp_host: str | None = None
    """SMTP server of approved emails; unset, every send fails (refused in production)."""
    smtp_port: int = 25
    """SMTP server port."""
    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS."""
    smtp_username: str | None = None
    """SMTP login user; unset, no login."""
    smtp_password: SecretStr | None = None
    """SMTP login password."""
    smtp_from: str = "cascade@localhost"
    """Sender address of approved emails."""
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of one SMTP conversation."""

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
