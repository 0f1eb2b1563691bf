"""The management plane's memory: ARM resources, soft-deleted accounts and the simulated clock in one
SQLite file (WAL), written at every change so that a crash or restart loses nothing ARM acknowledged."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY,          -- the resource id in lower case (ARM ids are case-insensitive)
    id TEXT NOT NULL,              -- the id as first written (ARM keeps that casing)
    type_key TEXT NOT NULL,        -- the ARM type in lower case
    parent_key TEXT,               -- the parent resource or scope, lower case
    document TEXT NOT NULL,        -- the stored resource as JSON (read-time properties are not stored)
    created_at REAL NOT NULL,      -- simulated unix seconds
    expires_at REAL                -- simulated unix seconds when the service removes it by itself
);
CREATE INDEX IF NOT EXISTS resources_by_type ON resources (type_key);
CREATE INDEX IF NOT EXISTS resources_by_expiry ON resources (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS deleted_accounts (
    key TEXT PRIMARY KEY,          -- "<subscription>/<name>" in lower case: the soft-deleted name's scope
    id TEXT NOT NULL,
    location TEXT NOT NULL,
    resource_group TEXT NOT NULL,
    subdomain TEXT NOT NULL,
    document TEXT NOT NULL,
    deleted_at REAL NOT NULL
);
"""


@dataclass
class StoredResource:
    """One ARM resource as stored: its id, type, parent (or scope), document and simulated timestamps."""

    id: str
    type: str
    parent: str | None
    document: dict[str, Any]
    created_at: float
    expires_at: float | None = None

    @property
    def key(self) -> str:
        """The case-insensitive identity of the resource."""
        return self.id.lower()


@dataclass
class DeletedAccount:
    """A soft-deleted Cognitive Services account: restorable, or purgeable, until then its name is taken."""

    id: str
    subscription: str
    name: str
    location: str
    resource_group: str
    subdomain: str
    document: dict[str, Any]
    deleted_at: float

    @property
    def key(self) -> str:
        """Soft-deleted names are unique per subscription."""
        return deleted_key(self.subscription, self.name)


def deleted_key(subscription: str, name: str) -> str:
    """The key of a soft-deleted account name in a subscription."""
    return f"{subscription}/{name}".lower()


class ArmStore:
    """ARM resources and soft-deleted accounts in SQLite; every method commits before it returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the server's threads, serialized by a lock: the store is small and fast.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        # WAL with synchronous=NORMAL survives a process crash (a power cut may lose the last commits).
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        version = self.meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif version != str(SCHEMA_VERSION):
            raise ValueError(f"{path} holds local Azure state version {version}; expected {SCHEMA_VERSION}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several changes into one commit (nested calls join the outer one)."""
        with self._lock:
            if self._db.in_transaction:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database (WAL content is checkpointed into the main file)."""
        with self._lock:
            self._db.close()

    # Meta values (the clock, the schema version).

    def meta(self, key: str) -> str | None:
        """A stored meta value, if set."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a meta value."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # Resources.

    def get(self, resource_id: str) -> StoredResource | None:
        """The resource with this id (any casing), if it exists."""
        rows = self._select("WHERE key = ?", (resource_id.lower(),))
        return rows[0] if rows else None

    def put(self, resource: StoredResource) -> None:
        """Create or replace a resource."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO resources (key, id, type_key, parent_key, document, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    resource.key,
                    resource.id,
                    resource.type.lower(),
                    resource.parent.lower() if resource.parent else None,
                    json.dumps(resource.document),
                    resource.created_at,
                    resource.expires_at,
                ),
            )

    def tree(self, resource_id: str) -> list[StoredResource]:
        """The resource and everything under its id (children, extension resources), deepest first."""
        key = resource_id.lower()
        prefix = key + "/"
        # substr instead of LIKE: ids may hold '_' and '%', which LIKE would treat as wildcards.
        rows = self._select("WHERE key = ? OR substr(key, 1, ?) = ?", (key, len(prefix), prefix))
        return sorted(rows, key=lambda r: r.key.count("/"), reverse=True)

    def delete(self, resource_id: str) -> None:
        """Remove one resource (not what is under it)."""
        with self._lock:
            self._db.execute("DELETE FROM resources WHERE key = ?", (resource_id.lower(),))

    def children(self, parent_id: str, type_name: str | None = None) -> list[StoredResource]:
        """The resources whose parent (or scope) is `parent_id`, optionally of one type."""
        if type_name is None:
            return self._select("WHERE parent_key = ?", (parent_id.lower(),))
        return self._select("WHERE parent_key = ? AND type_key = ?", (parent_id.lower(), type_name.lower()))

    def by_type(self, type_name: str) -> list[StoredResource]:
        """Every resource of one ARM type."""
        return self._select("WHERE type_key = ?", (type_name.lower(),))

    def all(self) -> list[StoredResource]:
        """Every resource, by id."""
        return self._select("", ())

    def expired(self, now: float) -> list[StoredResource]:
        """The resources whose expiry has come by simulated time `now`."""
        return self._select("WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))

    def _select(self, where: str, args: tuple[Any, ...]) -> list[StoredResource]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, type_key, parent_key, document, created_at, expires_at FROM resources "
                f"{where} ORDER BY key",
                args,
            ).fetchall()
        out = []
        for ident, _, parent, document, created_at, expires_at in rows:
            data = json.loads(document)
            out.append(StoredResource(ident, str(data["type"]), parent, data, created_at, expires_at))
        return out

    # Soft-deleted accounts.

    def put_deleted(self, account: DeletedAccount) -> None:
        """Remember a soft-deleted account."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO deleted_accounts (key, id, location, resource_group, subdomain, "
                "document, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    account.key,
                    account.id,
                    account.location,
                    account.resource_group,
                    account.subdomain,
                    json.dumps(account.document),
                    account.deleted_at,
                ),
            )

    def get_deleted(self, subscription: str, name: str) -> DeletedAccount | None:
        """The soft-deleted account of this name in the subscription, if any."""
        rows = self._select_deleted("WHERE key = ?", (deleted_key(subscription, name),))
        return rows[0] if rows else None

    def remove_deleted(self, subscription: str, name: str) -> None:
        """Forget a soft-deleted account (restored or purged)."""
        with self._lock:
            self._db.execute("DELETE FROM deleted_accounts WHERE key = ?", (deleted_key(subscription, name),))

    def deleted_accounts(self, subscription: str | None = None) -> list[DeletedAccount]:
        """The soft-deleted accounts, of one subscription or all."""
        if subscription is None:
            return self._select_deleted("", ())
        prefix = subscription.lower() + "/"
        return self._select_deleted("WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))

    def _select_deleted(self, where: str, args: tuple[Any, ...]) -> list[DeletedAccount]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, id, location, resource_group, subdomain, document, deleted_at "
                f"FROM deleted_accounts {where} ORDER BY key",
                args,
            ).fetchall()
        out = []
        for key, ident, location, group, subdomain, document, deleted_at in rows:
            subscription, name = str(key).split("/", 1)
            data = json.loads(document)
            # The key is lower case; the document keeps the names as the user spelled them.
            out.append(
                DeletedAccount(
                    ident,
                    subscription,
                    str(data.get("name", name)),
                    location,
                    group,
                    subdomain,
                    data,
                    deleted_at,
                )
            )
        return out
