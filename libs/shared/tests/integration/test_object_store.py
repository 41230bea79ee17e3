"""The object store client against the real local S3 server (the test profile's SeaweedFS)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from cascade.shared.objectstore import (
    ObjectBody,
    ObjectStore,
    ObjectStoreError,
    ObjectStoreSettings,
    object_body,
    open_object_store,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(object_store_settings: ObjectStoreSettings) -> AsyncIterator[ObjectStore]:
    async with open_object_store(object_store_settings) as opened:
        yield opened


def fresh_key() -> str:
    return f"tests/{uuid.uuid4().hex}/doc.json"


async def test_put_head_get_keep_the_bytes_and_their_hash(store: ObjectStore) -> None:
    key, body = fresh_key(), object_body({"schema_version": 1, "name": "Acme", "n": [1, 2]})
    etag = await store.put(key, body)
    head = await store.head(key)
    assert head is not None
    assert (head.size, head.sha256, head.content_type) == (
        len(body.data),
        body.sha256,
        body.content_type,
    )
    assert head.etag == etag == hashlib.md5(body.data).hexdigest()  # noqa: S324 - S3's ETag
    data = await store.get(key)
    assert data == body.data
    assert json.loads(data) == {"schema_version": 1, "name": "Acme", "n": [1, 2]}
    assert await store.fetch(key) == (head, body.data), "one GET: the same metadata and bytes"


async def test_a_retried_put_leaves_the_identical_object(store: ObjectStore) -> None:
    key = fresh_key()
    first = object_body({"b": 2, "a": 1})
    again = object_body({"a": 1, "b": 2})  # the same document, built in another order
    assert first == again
    assert await store.put(key, first) == await store.put(key, again)
    head = await store.head(key)
    assert head is not None
    assert head.sha256 == first.sha256
    assert await store.get(key) == first.data


async def test_a_body_that_does_not_match_its_hash_is_refused_and_not_stored(
    store: ObjectStore,
) -> None:
    key = fresh_key()
    wrong = ObjectBody(b'{"a":1}', hashlib.sha256(b"something else").hexdigest())
    with pytest.raises(ObjectStoreError) as refused:
        await store.put(key, wrong)
    assert not refused.value.transient
    assert await store.head(key) is None


async def test_delete_removes_the_object_and_reads_say_missing(store: ObjectStore) -> None:
    key = fresh_key()
    await store.put(key, object_body({"x": 1}))
    await store.delete(key)
    assert await store.head(key) is None
    assert await store.get(key) is None
    assert await store.fetch(key) is None
    await store.delete(key)  # already gone: no error


async def test_wrong_credentials_are_a_refusal_not_a_transient_error(
    object_store_settings: ObjectStoreSettings,
) -> None:
    wrong = object_store_settings.model_copy(
        update={"secret_access_key": SecretStr("not-the-secret")}
    )
    async with open_object_store(wrong) as store:
        with pytest.raises(ObjectStoreError) as refused:
            await store.put(fresh_key(), object_body({"x": 1}))
    assert not refused.value.transient
