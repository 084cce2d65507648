"""Socket Mode: Baton connects to the sandbox over a WebSocket, receives events and acknowledges them."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from bot.runtime import running
from bot.settings import Mode
from sandbox import Sandbox, SeedInfo
from storage import SqlStore


async def test_socket_mode_delivers_and_acknowledges_events(sandbox: Sandbox, seed: SeedInfo, settings):
    socket_settings = settings.model_copy(update={"slack_app_token": SecretStr(sandbox.app_token)})
    assert socket_settings.mode is Mode.SOCKET
    async with running(socket_settings) as runtime:
        await runtime.service.watch_channel(
            channel_id=seed.shared_channel_id, name="acme-support", is_shared=True
        )
        for _ in range(100):
            if sandbox.sockets.connected:
                break
            await asyncio.sleep(0.05)
        posted = await sandbox.post_message(seed.customer_id, seed.shared_channel_id, "hello over a socket")
        assert [(a.transport, a.ok) for a in posted.outcome.attempts] == [("socket", True)]
        again = await sandbox.redeliver(posted.outcome.attempts[0].id)
        assert again.ok

        async with SqlStore(runtime.engine).transaction() as tx:
            messages = await tx.conversations.messages(
                channel_id=seed.shared_channel_id, thread_ts=posted.message.ts
            )
        assert [m.text for m in messages] == ["hello over a socket"]
