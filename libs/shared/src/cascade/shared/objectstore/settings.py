"""Where objects are stored: one `CASCADE_OBJECT_STORE_*` settings group, read once in a
composition root and passed down.

The defaults are the local stack's SeaweedFS S3 gateway (dev profile) and its local-only
credentials; `make up` / `infra up` write the profile's values into the stack env file.
Cloudflare R2: endpoint `https://<account>.r2.cloudflarestorage.com`, region `auto`, an R2 API
token's key pair. AWS S3: endpoint unset (the SDK's regional endpoint), the bucket's region.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from cascade.shared.settings_config import settings_config

LOCAL_ACCESS_KEY = "cascade-local"
LOCAL_SECRET_KEY = "cascade-local-secret"  # noqa: S105 - the local stack's own server only
LOCAL_BUCKET = "cascade"


class ObjectStoreSettings(BaseSettings):
    """The S3-compatible store the `object_put` steps write and the `object` checks read."""

    model_config = settings_config("CASCADE_OBJECT_STORE_", ignore_empty=True)

    endpoint_url: str | None = "http://127.0.0.1:18333"
    """S3 endpoint (default: the dev stack's SeaweedFS); None: AWS S3's own endpoint for
    `region`."""
    bucket: str = Field(default=LOCAL_BUCKET, min_length=3, max_length=63)
    """Bucket the `object_put` steps write and the `object` checks read."""
    region: str = "us-east-1"
    """Region of the bucket (`auto` on Cloudflare R2)."""
    access_key_id: SecretStr = SecretStr(LOCAL_ACCESS_KEY)
    """Access key id (default: the local stack's, refused in production)."""
    secret_access_key: SecretStr = SecretStr(LOCAL_SECRET_KEY)
    """Secret access key."""
    addressing_style: Literal["path", "virtual", "auto"] = "path"
    """Path style (`endpoint/bucket/key`) works on SeaweedFS, R2 and S3 alike; virtual
    (`bucket.endpoint/key`) only where DNS has the bucket's name."""
    timeout_s: float = Field(default=10.0, gt=0)
    """Connect and read timeout of one S3 request."""
    sdk_max_attempts: int = Field(default=2, ge=1)
    """Tries of one request inside the SDK (connection errors, 5xx, throttling) before the
    caller's own retry (a leased job's back-off, a check's schedule) takes over."""

    def production_problems(self) -> list[str]:
        """The local stack's credentials are unfit anywhere else."""
        if self.access_key_id.get_secret_value() == LOCAL_ACCESS_KEY:
            return ["CASCADE_OBJECT_STORE_ACCESS_KEY_ID is the local stack's default"]
        return []
