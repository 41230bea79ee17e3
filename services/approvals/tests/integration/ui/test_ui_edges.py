"""The UI's edges (issue 10, defects 6 and 7): Mike's email edit keeps recipient and subject
single-line and the recipient one valid address; NUL in a form or filter is 422, not 500.
A refused request changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_crlf_and_address_lists_in_an_edit_are_422_and_change_nothing(ui: Any) -> None:
    draft = {
        "run_id": str(uuid.uuid4()), "step_id": "welcome_email",
        "tool": "propose_email_to_customer", "to": "jane@acme.example", "subject": "Welcome",
        "body": "Hello Jane",
    }  # fmt: skip
    seeded = await ui.seed(draft, action_type="propose_email_to_customer")
    url = f"/proposals/{seeded.proposal_id}"
    refused = [
        {"to": "jane@acme.example", "subject": "Hi\r\nBcc: x@evil.example", "body": "Hello"},
        {"to": "jane@acme.example", "subject": "Hi\u2028there", "body": "Hello"},
        {"to": "jane@acme.example, attacker@evil.example", "subject": "Hi", "body": "Hello"},
        {"to": "jane@acme.example\r\nBcc: attacker@evil.example", "subject": "Hi", "body": "Hi"},
        {"to": "jane", "subject": "Hi", "body": "Hello"},
        {"to": "jane@acme.example", "subject": "Hi", "body": "Hel\x00lo"},
    ]
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        page = await client.get(url)
        assert 'name="to"' in page.text
        for fields in refused:
            answer = await client.post(f"{url}/edit", data=seeded.form(csrf, **fields))
            assert answer.status_code == 422, (fields, answer.text[:300])
        unchanged = await ui.proposal(seeded.proposal_id)
        assert (unchanged.version, unchanged.payload) == (1, draft)
        assert await ui.audit(seeded.proposal_id) == []

        fixed = seeded.form(csrf, to=" jane.doe@acme.example ", subject="Welcome", body="Hi\r\nJ")
        saved = await client.post(f"{url}/edit", data=fixed)
    assert saved.status_code == 303, saved.text[:300]
    edited = await ui.proposal(seeded.proposal_id)
    assert edited.version == 2
    assert (edited.payload["to"], edited.payload["body"]) == ("jane.doe@acme.example", "Hi\nJ")


async def test_nul_in_forms_and_filters_is_422_not_500(ui: Any) -> None:
    seeded = await ui.seed({"inputs": {}, "preconditions": [], "warnings": []})
    url = f"/proposals/{seeded.proposal_id}"
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        answers = {
            "reason": await client.post(
                f"{url}/reject", data=seeded.form(csrf, reason="dup\x00licate")
            ),
            "hash": await client.post(
                f"{url}/approve", data=seeded.form(csrf, payload_sha256="a\x00")
            ),
            "version": await client.post(
                f"{url}/approve", data=seeded.form(csrf, version="9" * 12)
            ),
            "filter": await client.get("/", params={"workflow_type": "a\x00b"}),
        }
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 422)
    assert (await ui.proposal(seeded.proposal_id)).status == "pending"
    assert await ui.audit(seeded.proposal_id) == []
    assert await ui.outbox_count() == 0
