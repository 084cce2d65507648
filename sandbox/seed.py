"""The demo workspace: our team, a rep, an admin, an AI agent, a customer org in a Slack Connect channel."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.core import Sandbox


@dataclass(frozen=True)
class SeedInfo:
    """The ids seed_demo_workspace created."""

    team_id: str = "T0OURS"
    bot_user_id: str = "U0BATON"
    bot_id: str = "B0BATON"
    app_id: str = "A0BATON"
    rep_id: str = "U0REP"
    admin_id: str = "U0ADMIN"
    ai_bot_user_id: str = "U0AIBOT"
    ai_bot_id: str = "B0AIBOT"
    ai_app_id: str = "A0AIBOT"
    customer_team_id: str = "T0ACME"
    customer_id: str = "U0ACME1"
    shared_channel_id: str = "C0ACME"
    triage_channel_id: str = "C0TRIAGE"
    support_group_id: str = "S0SUPPORT"


def seed_demo_workspace(sandbox: Sandbox, *, bot_in_shared_channel: bool = True) -> SeedInfo:
    """Create the demo people, channels and user group in sandbox; returns their ids.

    With `bot_in_shared_channel=False` the app's bot is left out of the Acme channel, so that inviting it
    later (`join_channel`) sends the `member_joined_channel` event an app sees on a real install.
    """
    ws = sandbox.workspace
    our_team = ws.teams[ws.our_team_id]
    our_team.name = "Baton Sandbox"
    info = SeedInfo(team_id=ws.our_team_id, bot_user_id=ws.bot_user_id, bot_id=ws.bot_id, app_id=ws.app_id)
    sandbox.add_user(info.rep_id, "riley", real_name="Riley Rep", email="riley@baton.example")
    sandbox.add_user(info.admin_id, "ada", real_name="Ada Admin", is_admin=True, email="ada@baton.example")
    sandbox.add_user(
        info.ai_bot_user_id, "helper-ai", real_name="Helper AI", bot_id=info.ai_bot_id, app_id=info.ai_app_id
    )
    sandbox.add_team(info.customer_team_id, "Acme", "acme")
    sandbox.add_user(
        info.customer_id,
        "casey",
        team_id=info.customer_team_id,
        real_name="Casey Customer",
        tz="America/New_York",
        email="casey@acme.example",
    )
    sandbox.add_channel(
        info.shared_channel_id,
        "acme-support",
        is_ext_shared=True,
        members=([info.bot_user_id] if bot_in_shared_channel else [])
        + [info.rep_id, info.ai_bot_user_id, info.customer_id],
        connected_team_ids=[info.team_id, info.customer_team_id],
    )
    sandbox.add_channel(
        info.triage_channel_id, "baton-triage", members=[info.bot_user_id, info.rep_id, info.admin_id]
    )
    sandbox.add_usergroup(
        info.support_group_id, "support", users=[info.rep_id, info.admin_id], name="Support"
    )
    return info
