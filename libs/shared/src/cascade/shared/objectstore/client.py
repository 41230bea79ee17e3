"""The S3 client (aiobotocore): PUT with the body's SHA-256, HEAD, GET, DELETE of one key.

aiobotocore is botocore (the AWS SDK's request signing, retries, endpoint and checksum rules)
on asyncio; it speaks to SeaweedFS, Cloudflare R2 and AWS S3 alike. Every PUT carries the
body's SHA-256 twice: as `x-amz-checksum-sha256`, which the server checks before it stores
anything (a body damaged on the way is refused, never stored), and as the `sha256` user
metadata the `object` verify check compares with the hash the run recorded.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from cascade.shared.objectstore.content import SHA256_METADATA, ObjectBody
from cascade.shared.objectstore.settings import ObjectStoreSettings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})

T = TypeVar("T")


class ObjectStoreError(Exception):
    """A request the store did not carry out; `transient` when another try may succeed (no
    answer, a 5xx, throttling), not for a refusal (bad credentials, no such bucket)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class StoredObject:
    """What HEAD (or GET) says of an object: size, ETag, the `sha256` metadata (None if
    absent)."""

    key: str
    size: int
    etag: str
    sha256: str | None
    content_type: str | None


def _stored(key: str, answer: Mapping[str, Any]) -> StoredObject:
    # HEAD and GET answer the same headers.
    return StoredObject(
        key=key,
        size=int(answer.get("ContentLength", 0)),
        etag=str(answer.get("ETag", "")).strip('"'),
        sha256=(answer.get("Metadata") or {}).get(SHA256_METADATA),
        content_type=answer.get("ContentType"),
    )


def _error(action: str, key: str, exc: Exception) -> ObjectStoreError:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        transient = status >= 500 or status in (408, 429) or code in ("SlowDown", "Throttling")
        return ObjectStoreError(f"{action} {key}: {code or status}: {exc}", transient=transient)
    return ObjectStoreError(f"{action} {key}: {type(exc).__name__}: {exc}", transient=True)


def _not_found(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in NOT_FOUND


async def _unless_missing(action: str, name: str, request: Awaitable[T]) -> T | None:
    """What `request` answers, or None when the store has no such object (or bucket)."""
    try:
        return await request
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise _error(action, name, exc) from exc
    except BotoCoreError as exc:
        raise _error(action, name, exc) from exc


class ObjectStore:
    """One bucket of an S3-compatible store."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    async def put(self, key: str, body: ObjectBody) -> str:
        """Store `body` under `key` (replacing any object there); returns the ETag."""
        checksum = base64.b64encode(bytes.fromhex(body.sha256)).decode("ascii")
        try:
            answer = await self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body.data,
                ContentType=body.content_type,
                ChecksumSHA256=checksum,
                Metadata={SHA256_METADATA: body.sha256},
            )
        except (ClientError, BotoCoreError) as exc:
            raise _error("PUT", key, exc) from exc
        return str(answer.get("ETag", "")).strip('"')

    async def head(self, key: str) -> StoredObject | None:
        """The object's metadata, or None when there is no such object."""
        answer = await _unless_missing(
            "HEAD", key, self._client.head_object(Bucket=self.bucket, Key=key)
        )
        return None if answer is None else _stored(key, answer)

    async def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""
        fetched = await self.fetch(key)
        return None if fetched is None else fetched[1]

    async def fetch(self, key: str) -> tuple[StoredObject, bytes] | None:
        """The object's metadata and bytes from one GET (one request, and both of the same
        version of the object), or None when there is no such object."""
        return await _unless_missing("GET", key, self._read(key))

    async def _read(self, key: str) -> tuple[StoredObject, bytes]:
        answer = await self._client.get_object(Bucket=self.bucket, Key=key)
        async with answer["Body"] as stream:
            data = await stream.read()
        return _stored(key, answer), data

    async def delete(self, key: str) -> None:
        """Remove the object (no error when it is already gone)."""
        try:
            await self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _error("DELETE", key, exc) from exc

    async def bucket_exists(self) -> bool:
        """Whether the bucket answers HEAD with these credentials (a readiness probe)."""
        request = self._client.head_bucket(Bucket=self.bucket)
        return await _unless_missing("HEAD bucket", self.bucket, request) is not None


@asynccontextmanager
async def open_object_store(settings: ObjectStoreSettings) -> AsyncIterator[ObjectStore]:
    """A client for the configured bucket, closed on exit (one per process is enough)."""
    config = AioConfig(
        region_name=settings.region,
        connect_timeout=settings.timeout_s,
        read_timeout=settings.timeout_s,
        retries={"max_attempts": settings.sdk_max_attempts, "mode": "standard"},
        s3={"addressing_style": settings.addressing_style},
        # The SHA-256 is sent explicitly on every PUT; no CRC32 of the SDK's own, which not
        # every S3-compatible server accepts.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = get_session()
    async with session.create_client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id.get_secret_value(),
        aws_secret_access_key=settings.secret_access_key.get_secret_value(),
        config=config,
    ) as client:
        yield ObjectStore(client, settings.bucket)
