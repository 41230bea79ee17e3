"""The AsyncAPI document: committed copy current, every topic described, real events valid."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from cascade.shared.asyncapi import DOCUMENT_PATH, asyncapi_router, document, main, render
from cascade.shared.envelope import new_envelope
from cascade.shared.payloads import NsPush, WorkflowEnded
from cascade.shared.topic_payloads import TOPIC_PAYLOADS, TOPIC_SUMMARIES
from cascade.shared.topics import Topic, all_topic_names

REPO = Path(__file__).resolve().parents[3]


def test_the_committed_document_is_the_codes() -> None:
    committed = (REPO / DOCUMENT_PATH).read_text(encoding="utf-8")
    assert committed == render(), "docs/asyncapi.json is stale: run `make asyncapi`"


def test_every_topic_and_dead_letter_topic_is_a_channel() -> None:
    assert set(TOPIC_PAYLOADS) == set(Topic) == set(TOPIC_SUMMARIES)
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"].removeprefix("{prefix}") for c in doc["channels"].values()}
    assert addresses == set(all_topic_names())
    for channel_id in doc["channels"]:
        for action in ("send", "receive"):
            operation = doc["operations"][f"{action}.{channel_id}"]
            assert operation["action"] == action
            assert operation["channel"] == {"$ref": f"#/channels/{channel_id}"}


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _validator(doc: dict[str, Any], topic: Topic) -> Draft7Validator:
    channel = doc["channels"][str(topic)]
    (message_ref,) = channel["messages"].values()
    message = _resolve(doc, message_ref["$ref"])
    registry: Registry[Any] = Registry().with_resource("urn:doc", DRAFT7.create_resource(doc))
    schema = {"$ref": "urn:doc" + message["payload"]["$ref"]}
    return Draft7Validator(schema, registry=registry)


@pytest.mark.parametrize(
    ("topic", "data"),
    [
        (Topic.NS_PUSH, NsPush(push_id=1, record_type="customer", external_id="x")),
        (
            Topic.WORKFLOW_COMPLETED,
            WorkflowEnded(
                workflow_type="new_customer", status="completed", completed_at=datetime.now(UTC)
            ),
        ),
    ],
)
def test_an_event_as_produced_matches_its_schema(topic: Topic, data: Any) -> None:
    doc = document()
    event = json.loads(
        new_envelope(topic, "test", uuid.uuid4(), data.model_dump(mode="json")).to_bytes()
    )
    validator = _validator(doc, topic)
    assert not list(validator.iter_errors(event))
    wrong = {**event, "type": "proposal.approved"}
    assert list(validator.iter_errors(wrong)), "another topic's type is refused"
    missing = {**event, "data": {k: v for k, v in event["data"].items() if k != "push_id"}}
    if topic == Topic.NS_PUSH:
        assert list(validator.iter_errors(missing)), "a payload without a required field fails"


def test_served_at_asyncapi_json() -> None:
    app = FastAPI()
    app.include_router(asyncapi_router)
    answer = TestClient(app).get("/asyncapi.json")
    assert answer.status_code == 200
    assert answer.json() == document()


def test_cli_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "asyncapi.json"
    assert main(["--check", "--file", str(target)]) == 1, "a missing file is stale"
    assert main(["--write", "--file", str(target)]) == 0
    assert main(["--check", "--file", str(target)]) == 0
    target.write_text(target.read_text() + " ", encoding="utf-8")
    assert main(["--check", "--file", str(target)]) == 1
    capsys.readouterr()
    assert main([]) == 0
    assert json.loads(capsys.readouterr().out) == document()
