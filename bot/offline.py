"""The service on the configured database, for CLI commands that run beside (or without) `baton run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings
    from routing.service import BatonService


@asynccontextmanager
async def offline_service(settings: Settings) -> AsyncIterator[BatonService]:
    """The service on BATON_DATABASE_URL (migrated if BATON_AUTO_MIGRATE); stored config in force."""
    from bot.runtime import utc_now
    from routing.service import BatonService
    from storage import SqlStore, create_engine, migrate, require_head

    engine = create_engine(settings.database_url)
    try:
        if settings.auto_migrate:
            await migrate(engine)
        else:
            await require_head(engine)
        service = BatonService(store=SqlStore(engine), clock=utc_now)
        await service.refresh_config()
        yield service
    finally:
        await engine.dispose()
