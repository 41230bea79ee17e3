"""`CASCADE_TOPIC_*`: how Cascade's topics are declared; defaults are production's."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from cascade.shared.settings_config import settings_config


class TopicSettings(BaseSettings):
    """Partitions, replication and retention of every topic `cascade admin topics` declares.

    (`CASCADE_TOPIC_PREFIX`, the physical names' prefix, belongs to the services' Settings.)
    """

    model_config = settings_config("CASCADE_TOPIC_")

    partitions: int = Field(default=3, ge=1)
    """Partitions of every topic; consumers scale out to this many members per group, and
    records of one run share a partition (keyed by run id)."""
    replication_factor: int = Field(default=3, ge=1)
    """Replicas of every partition: 3 survives one broker lost while another is down for
    maintenance. A local one-node stack sets 1."""
    min_insync_replicas: int = Field(default=2, ge=1)
    """`min.insync.replicas`: with the producers' acks=all a write is acknowledged only once
    this many replicas have it, so an acknowledged record survives the loss of a broker."""
    retention_ms: int = Field(default=7 * 24 * 3600 * 1000, ge=-1)
    """`retention.ms` of the event topics (7 days: time to replay after an outage); -1 keeps
    records forever."""
    dlq_retention_ms: int = Field(default=30 * 24 * 3600 * 1000, ge=-1)
    """`retention.ms` of the dead-letter topics (30 days: time for an operator to fix the
    cause and redrive); -1 keeps records forever."""
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    """`cleanup.policy`: events are a log, not a table, so `delete`."""
    admin_timeout_s: float = Field(default=30.0, gt=0)
    """How long one admin request (and the wait for new topics' leaders) may take."""

    @model_validator(mode="after")
    def _isr_within_replicas(self) -> Self:
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                "CASCADE_TOPIC_MIN_INSYNC_REPLICAS must not exceed "
                "CASCADE_TOPIC_REPLICATION_FACTOR: no write could ever be acknowledged"
            )
        return self
