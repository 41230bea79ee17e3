"""S3-compatible object storage (the seed's R2): one settings group, one client, pure bundle
helpers. Local stacks run SeaweedFS's S3 gateway (`cascade.devstack.objectstore`);
Cloudflare R2 or AWS S3 is only a settings change (README, "Object store")."""

from cascade.shared.objectstore.client import (
    ObjectStore,
    ObjectStoreError,
    StoredObject,
    open_object_store,
)
from cascade.shared.objectstore.content import (
    SHA256_METADATA,
    ObjectBody,
    object_body,
    sha256_hex,
)
from cascade.shared.objectstore.settings import ObjectStoreSettings

__all__ = [
    "SHA256_METADATA",
    "ObjectBody",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectStoreSettings",
    "StoredObject",
    "object_body",
    "open_object_store",
    "sha256_hex",
]
