"""The operator's commands (`cascade runs|proposals|dlq|outbox ...`): a client of the approvals
service's HTTP API with Mike's admin token, so they are authorized exactly as the API is."""
