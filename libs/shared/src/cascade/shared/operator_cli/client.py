"""The approvals API as the operator commands call it: bearer token, timeout, one error type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from cascade.shared.operator_cli.settings import OperatorSettings

AGENT_TOKEN_PREFIX = "cat_"  # noqa: S105 (a prefix, not a secret)
"""How an agent's (MCP) token starts (`cascade.mcp.tokens`): never an operator's."""


class TokenProblem(Exception):
    """No usable admin token: none configured, an unreadable file, or an agent's token."""


class ApiFailure(Exception):
    """The API refused the call (`status`, its error `code` and message), or it could not be
    reached at all (`status` None)."""

    def __init__(self, status: int | None, code: str, message: str, body: Any = None) -> None:
        where = f"{status} {code}" if status is not None else code
        super().__init__(f"{where}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


def admin_token(token_file: Path | None, settings: OperatorSettings) -> str:
    """The token to send: from `--token-file`, else `CASCADE_OPERATOR_TOKEN_FILE`, else
    `CASCADE_ADMIN_TOKEN`. An agent token is refused here already: the API would refuse it
    too, and an agent's secret has no business travelling to the operator API."""
    path = token_file or settings.operator_token_file
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenProblem(f"cannot read the token file {path}: {exc}") from None
        token = lines[0].strip() if lines else ""
        source = str(path)
    else:
        secret = settings.admin_token
        token = secret.get_secret_value().strip() if secret is not None else ""
        source = "CASCADE_ADMIN_TOKEN"
    if not token:
        raise TokenProblem(
            f"no admin token ({source} is empty): pass --token-file or set "
            "CASCADE_OPERATOR_TOKEN_FILE or CASCADE_ADMIN_TOKEN"
        )
    if token.startswith(AGENT_TOKEN_PREFIX):
        raise TokenProblem(
            f"{source} holds an agent (MCP) token; operator commands need the admin token"
        )
    return token


class OperatorClient:
    """Calls to one approvals service; every answer is its JSON body, every refusal an
    `ApiFailure` with the API's own error code and message."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout_s: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout_s,
            transport=transport,
        )

    def __enter__(self) -> OperatorClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._client.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path` with the non-None `params`."""
        return self._call("GET", path, params)

    def post(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """POST `path` (no body) with the non-None `params`."""
        return self._call("POST", path, params)

    def _call(self, method: str, path: str, params: dict[str, Any] | None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._client.request(method, path, params=query)
        except httpx.TimeoutException:
            raise ApiFailure(None, "timeout", f"no answer from {self._client.base_url}") from None
        except httpx.TransportError as exc:
            raise ApiFailure(None, "unreachable", f"{self._client.base_url}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success:
            return body
        if isinstance(body, dict):
            code = str(body.get("error", f"http_{response.status_code}"))
            message = str(body.get("message", response.reason_phrase))
        else:
            code, message = f"http_{response.status_code}", response.text[:300]
        raise ApiFailure(response.status_code, code, message, body)
