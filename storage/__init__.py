"""Persistence for Baton: SQLModel tables, repositories implementing routing's ports, engine, migrations."""

from storage.engine import create_engine, normalize_database_url
from storage.errors import LiveHandoffExists
from storage.migrate import (
    SchemaBehind,
    current_revision,
    downgrade,
    head_revision,
    migrate,
    require_head,
    revisions,
)
from storage.store import SqlStore, SqlUnitOfWork
from storage.tables import METADATA
from storage.types import UTCDateTime

__all__ = [
    "METADATA",
    "LiveHandoffExists",
    "SchemaBehind",
    "SqlStore",
    "SqlUnitOfWork",
    "UTCDateTime",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "revisions",
    "migrate",
    "normalize_database_url",
    "require_head",
]
