"""Persistence for Baton: SQLModel tables, repositories implementing routing's ports, engine, migrations."""

from storage.engine import create_engine, normalize_database_url
from storage.errors import LiveHandoffExists
from storage.migrate import current_revision, downgrade, migrate
from storage.store import SqlStore, SqlUnitOfWork
from storage.tables import METADATA
from storage.types import UTCDateTime

__all__ = [
    "METADATA",
    "LiveHandoffExists",
    "SqlStore",
    "SqlUnitOfWork",
    "UTCDateTime",
    "create_engine",
    "current_revision",
    "downgrade",
    "migrate",
    "normalize_database_url",
]
