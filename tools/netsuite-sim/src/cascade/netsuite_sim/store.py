"""The simulator's own storage: records and the request log in one SQLite file.

SQLite from the stdlib keeps the simulator free of Cascade's database; WAL with synchronous
FULL means a committed upsert survives a `kill -9`, which the commit-then-drop fault relies on.
Calls are short and made from the event loop's thread, so upserts never interleave.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    internal_id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_type TEXT NOT NULL,
    external_id TEXT,
    fields TEXT NOT NULL,
    date_created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    UNIQUE (record_type, external_id)
);
CREATE TABLE IF NOT EXISTS request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    finished_at REAL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    fault TEXT,
    note TEXT
);
"""
_COLUMNS = "internal_id, record_type, external_id, fields, date_created, last_modified"


def netsuite_time(moment: datetime) -> str:
    """NetSuite's REST datetime form: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class StoredRecord:
    """One record instance as the simulator keeps it."""

    internal_id: int
    record_type: str
    external_id: str | None
    fields: dict[str, Any]
    date_created: str
    last_modified: str


@dataclass(frozen=True)
class LogEntry:
    """One call to the record API: when it came, what it asked, how it was answered."""

    received_at: float
    finished_at: float | None
    method: str
    path: str
    status: int | None
    fault: str | None
    note: str | None


def _record(row: tuple[Any, ...]) -> StoredRecord:
    return StoredRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5])


class SimStore:
    """Records and request log in `<data_dir>/netsuite-sim.sqlite3`."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(data_dir / "netsuite-sim.sqlite3")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def upsert(
        self, record_type: str, external_id: str, fields: dict[str, Any], now: datetime
    ) -> tuple[StoredRecord, bool]:
        """Create the record with this external id, or update its fields; (record, created)."""
        stamp = netsuite_time(now)
        with self._conn:
            found = self._find(record_type, "external_id = ?", external_id)
            if found is None:
                self._conn.execute(
                    "INSERT INTO records (record_type, external_id, fields, date_created,"
                    " last_modified) VALUES (?, ?, ?, ?, ?)",
                    (record_type, external_id, json.dumps(fields), stamp, stamp),
                )
            else:
                merged = json.dumps({**found.fields, **fields})
                self._conn.execute(
                    "UPDATE records SET fields = ?, last_modified = ? WHERE internal_id = ?",
                    (merged, stamp, found.internal_id),
                )
        stored = self._find(record_type, "external_id = ?", external_id)
        assert stored is not None
        return stored, found is None

    def get(self, record_type: str, ref: str) -> StoredRecord | None:
        """The record `ref` names: `eid:<external id>` or its internal id."""
        if ref.startswith("eid:"):
            return self._find(record_type, "external_id = ?", ref[4:])
        if not ref.isdigit():
            return None
        return self._find(record_type, "internal_id = ?", int(ref))

    def records(self, record_type: str) -> list[StoredRecord]:
        """Every record of a type, oldest first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM records WHERE record_type = ? ORDER BY internal_id",
            (record_type,),
        ).fetchall()
        return [_record(row) for row in rows]

    def log(self, entry: LogEntry) -> None:
        """Append one call to the request log."""
        with self._conn:
            self._conn.execute(
                "INSERT INTO request_log (received_at, finished_at, method, path, status,"
                " fault, note) VALUES (:received_at, :finished_at, :method, :path, :status,"
                " :fault, :note)",
                asdict(entry),
            )

    def requests(self) -> list[LogEntry]:
        """The request log, oldest first."""
        rows = self._conn.execute(
            "SELECT received_at, finished_at, method, path, status, fault, note"
            " FROM request_log ORDER BY id"
        ).fetchall()
        return [LogEntry(*row) for row in rows]

    def close(self) -> None:
        """Close the database file."""
        self._conn.close()

    def _find(self, record_type: str, where: str, value: Any) -> StoredRecord | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM records WHERE record_type = ? AND {where}",
            (record_type, value),
        ).fetchone()
        return None if row is None else _record(row)
