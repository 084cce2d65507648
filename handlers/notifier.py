"""The Notifier turns outbox rows (domain notifications) into Slack Web API calls.

It renders from the current state at delivery time, refuses to post anything internal into a shared channel,
and makes retried posts idempotent: every post carries message metadata naming its outbox row, so after an
ambiguous failure (the connection dropped, a 5xx) it looks for the post before posting again.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.cards import render_card, render_mirror
from handlers.cards_text import escape
from handlers.delivery_errors import InternalPostRefused, Permanent, slack_call, surely_not_sent
from handlers.permissions import unavailable
from routing.models import OutboxItem
from routing.notifications import Notice
from routing.routes import Strategy
from routing.service import BatonService
from routing.sweep import sla_note_stale
from routing.views import CardView

logger = logging.getLogger(__name__)

CARD_EVENT = "baton_card"
NOTE_EVENT = "baton_note"
CUSTOMER_EVENT = "baton_handoff"  # on customer-facing messages: the AI agent can see a human took over
DIRECT = ("U", "W", "D")  # user ids (a DM) and DM channel ids
PEOPLE = ("U", "W")
CACHE_SECONDS = 300.0
# "Not shared" is believed this long only: a Slack Connect invitation can turn a triage channel shared at any
# moment (a pending one counts already), and internal content must stop going there at once.
NOT_SHARED_SECONDS = 10.0
LOOK_UP_MARGIN = 600.0  # seconds before a row was queued that its earlier post is looked for from
PERMALINKS_KEPT = 1000  # a card's updates and notes ask for the same few permalinks
DRAWN_KEPT = 10_000  # handoffs whose last card update this process remembers (to skip redrawing the same)

Result = dict[str, Any]


class Notifier:
    """Delivers one outbox row to Slack; raises a DeliveryError when it could not."""

    def __init__(self, *, client: AsyncWebClient, service: BatonService) -> None:
        self._client = client
        self._service = service
        self._shared: dict[str, tuple[bool, float]] = {}
        self._people: dict[str, tuple[bool, bool, float]] = {}  # user -> (outsider, takes handoffs, until)
        self._team_id: str | None = None  # our team (auth.test, asked once)
        self._groups: dict[str, tuple[list[str], float]] = {}
        self._permalinks: OrderedDict[tuple[str, str], str] = OrderedDict()  # newest last, bounded
        self._drawn: OrderedDict[int, tuple[str, int]] = OrderedDict()  # handoff -> (card ts, version drawn)
        self._workspace_url: str | None = None
        self._handlers: dict[Notice, Callable[[OutboxItem], Awaitable[Result]]] = {
            Notice.POST_CARD: self._post_card,
            Notice.UPDATE_CARD: self._update_card,
            Notice.THREAD_NOTE: self._thread_note,
            Notice.MIRROR: self._mirror,
            Notice.CUSTOMER_MESSAGE: self._customer_message,
            Notice.ESCALATION: self._escalation,
        }

    async def deliver(self, item: OutboxItem) -> Result:
        """Send one row; the result to keep on the row."""
        try:
            notice = Notice(item.method)
        except ValueError:
            raise Permanent(f"unknown outbox method {item.method!r}") from None
        return await self._handlers[notice](item)

    # ---- per notice ----

    async def _post_card(self, item: OutboxItem) -> Result:
        """Post a handoff's card where its route sends it; where that can't take it (a person who left or is
        a bot, a group Slack can't list or without members, a channel or DM Slack refuses for good), to the
        route's fallback, if it has one, rather than lose the card."""
        view = await self._view(item)
        handoff = view.handoff
        move_to = str(item.payload.get("move_to") or "")
        if move_to:  # handed to someone who can't see the DM the card is in
            if handoff.assignee_id != move_to or not handoff.state.is_live:
                return {"skipped": "handed on again, or closed, since"}
            moved = await self._post_card_in(item, view, move_to, None)
            return {
                "channel": moved[0],
                "ts": moved[1],
                "card": {"channel": moved[0], "ts": moved[1], "moved_to": move_to},
            }
        if handoff.card_ts:
            return {"skipped": "card already posted", "channel": handoff.card_channel, "ts": handoff.card_ts}
        channel, mention = await self._card_destination(view)
        rerouted = ""
        found: tuple[str, str] | None = None
        if (
            channel.startswith(PEOPLE)
            and not await self._takes_handoffs(channel)
            and self._has_fallback(view)
        ):
            rerouted = f"{channel} can't take handoffs (deactivated, or a bot)"
        else:
            try:
                found = await self._post_card_in(item, view, channel, mention)
            except Permanent as error:
                if not self._has_fallback(view, besides=channel):
                    raise
                rerouted = f"{channel} refused the card ({error})"
        routed_to = handoff.routed_to
        if found is None:
            fallback = await self._fallback_destination(view)
            if fallback is None:
                raise Permanent(f"handoff {handoff.id}: {rerouted}, and its route's fallback has no members")
            logger.warning("handoff %s: %s; its card goes to the route's fallback", handoff.id, rerouted)
            channel, mention = fallback
            # the handoff is meant for the fallback group's member, or the fallback person (its DM), now
            routed_to = mention[2:-1] if mention else channel if channel.startswith(PEOPLE) else None
            found = await self._post_card_in(item, view, channel, mention)
        card: Result = {"channel": found[0], "ts": found[1]}
        if channel.startswith(PEOPLE):
            card["dm_of"] = channel  # whose DM the card is in (a reassign to someone else moves it)
        if rerouted:
            card.update(rerouted=rerouted, routed_to=routed_to)
        # The worker records where the card went in the same transaction that marks this row delivered.
        return {"channel": found[0], "ts": found[1], "card": card}

    async def _post_card_in(
        self, item: OutboxItem, view: CardView, channel: str, mention: str | None
    ) -> tuple[str, str]:
        handoff = view.handoff
        await self.guard(channel)
        found = await self._already_posted(item, channel=channel)
        if found is None:
            text, blocks = render_card(
                view,
                permalink=await self._permalink(handoff.channel_id, handoff.thread_ts),
                snooze_minutes=self._service.config.handoffs.snooze_minutes,
                mention=mention,
            )
            response = await slack_call(
                self._client.chat_postMessage(
                    channel=channel,
                    text=text,
                    blocks=blocks,
                    metadata=_metadata(CARD_EVENT, item, handoff_id=handoff.id),
                    unfurl_links=False,
                    unfurl_media=False,
                )
            )
            found = (str(response["channel"]), str(response["ts"]))
        return found

    async def _update_card(self, item: OutboxItem) -> Result:
        view = await self._view(item)
        handoff = view.handoff
        if not (handoff.card_channel and handoff.card_ts):
            return {"skipped": "no card to update"}
        drawn = (handoff.card_ts, handoff.version)
        if handoff.id is not None and self._drawn.get(handoff.id) == drawn:
            # Rows are per change, each drawing the state at delivery: after a burst (queued behind a 429),
            # the first drew the latest state already; the rest would spend Slack's budget on the same card.
            return {"skipped": "drawn already at this version", "version": handoff.version}
        await self.guard(handoff.card_channel)
        text, blocks = render_card(
            view,
            permalink=await self._permalink(handoff.channel_id, handoff.thread_ts),
            snooze_minutes=self._service.config.handoffs.snooze_minutes,
            mention=f"<@{handoff.routed_to}>" if handoff.routed_to and handoff.context.get("group") else None,
        )
        try:
            await slack_call(
                self._client.chat_update(
                    channel=handoff.card_channel, ts=handoff.card_ts, text=text, blocks=blocks
                )
            )
        except Permanent as error:
            if str(error) != "message_not_found" or handoff.id is None:
                raise
            # Someone deleted the card: a live handoff gets it posted anew, drawn from its state then.
            logger.warning("the card of handoff %s was deleted in Slack; posting it again", handoff.id)
            await self._service.card_gone(handoff_id=handoff.id, ts=handoff.card_ts)
            return {"skipped": "the card was deleted in Slack: posted anew"}
        if handoff.id is not None:
            self._drawn[handoff.id] = drawn
            self._drawn.move_to_end(handoff.id)
            if len(self._drawn) > DRAWN_KEPT:
                self._drawn.popitem(last=False)
        return {"channel": handoff.card_channel, "ts": handoff.card_ts, "version": handoff.version}

    async def _thread_note(self, item: OutboxItem) -> Result:
        text = str(item.payload.get("text") or "") + escape(str(item.payload.get("quoted") or ""))
        return await self._post_in_card_thread(item, text)

    async def _mirror(self, item: OutboxItem) -> Result:
        message = await self._service.message(channel_id=item.payload["channel"], ts=item.payload["ts"])
        if message is None:
            return {"skipped": "message not stored"}
        return await self._post_in_card_thread(item, render_mirror(message))

    async def _customer_message(self, item: OutboxItem) -> Result:
        channel, thread_ts = str(item.payload["channel"]), str(item.payload["thread_ts"])
        found = await self._already_posted(item, channel=channel, thread_ts=thread_ts)
        if found is not None:
            return {"channel": found[0], "ts": found[1], "found": True}
        # Checked as it goes out, not as it was queued: the customer is told nothing stale.
        handoff = await self._service.handoff(int(item.payload["handoff_id"]))
        if handoff is None or not handoff.state.is_live:
            return {"skipped": "the handoff was closed meanwhile"}
        if await self._service.watched_channel(channel) is None:
            return {"skipped": "the channel is no longer watched"}
        if (item.dedupe_key or "").startswith("warm:") and await self._service.answered_by_us(handoff):
            return {"skipped": "one of ours answered the customer meanwhile"}
        state = str(item.payload.get("state") or "open")
        response = await slack_call(
            self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=str(item.payload["text"]),
                metadata=_metadata(CUSTOMER_EVENT, item, handoff_id=item.payload["handoff_id"], state=state),
            )
        )
        return {"channel": str(response["channel"]), "ts": str(response["ts"])}

    async def _escalation(self, item: OutboxItem) -> Result:
        channel = str(item.payload["channel"])
        await self.guard(channel)
        found = await self._already_posted(item, channel=channel)
        if found is not None:
            return {"channel": found[0], "ts": found[1], "found": True}
        handoff = await self._service.handoff(int(item.payload["handoff_id"]))
        if handoff is not None and sla_note_stale(item, handoff):
            return {"skipped": "its clock stopped meanwhile"}
        link = None
        if handoff is not None and handoff.card_channel and handoff.card_ts:
            link = await self._permalink(handoff.card_channel, handoff.card_ts)
        text = str(item.payload["text"]) + (f" <{link}|Open the card>" if link else "")
        response = await slack_call(
            self._client.chat_postMessage(
                channel=channel,
                text=text[:3000],
                metadata=_metadata(NOTE_EVENT, item, handoff_id=item.payload["handoff_id"]),
                unfurl_links=False,
            )
        )
        return {"channel": str(response["channel"]), "ts": str(response["ts"])}

    async def _post_in_card_thread(self, item: OutboxItem, text: str) -> Result:
        handoff = await self._service.handoff(int(item.payload["handoff_id"]))
        if handoff is None or not (handoff.card_channel and handoff.card_ts):
            return {"skipped": "no card thread"}
        if sla_note_stale(item, handoff):
            return {"skipped": "its clock stopped meanwhile"}
        await self.guard(handoff.card_channel)
        found = await self._already_posted(item, channel=handoff.card_channel, thread_ts=handoff.card_ts)
        if found is not None:
            return {"channel": found[0], "ts": found[1], "found": True}
        response = await slack_call(
            self._client.chat_postMessage(
                channel=handoff.card_channel,
                thread_ts=handoff.card_ts,
                text=text[:3000],
                metadata=_metadata(NOTE_EVENT, item, handoff_id=handoff.id),
                unfurl_links=False,
            )
        )
        return {"channel": str(response["channel"]), "ts": str(response["ts"])}

    # ---- helpers ----

    async def guard(self, channel: str) -> None:
        """Refuse internal content for a shared (Slack Connect) channel or a person of another organisation:
        the one invariant never to break."""
        if channel.startswith(PEOPLE):
            await self._refuse_outsider(channel)
            return
        if channel.startswith(DIRECT):
            return  # a DM Baton opened to a card's person, checked when the card was posted
        watched = await self._service.watched_channel(channel)
        if (watched is not None and watched.is_shared) or await self._is_shared(channel):
            logger.error("refused to post internal content into shared channel %s", channel)
            raise InternalPostRefused(
                f"{channel} is a shared channel: internal content is never posted there"
            )

    async def _refuse_outsider(self, user: str) -> None:
        """Refuse internal content for a person of another organisation (a customer named as an account
        owner or a route's person, say): a card in their DM would show them our notes."""
        outsider, _ = await self._person(user)
        if outsider:
            logger.error("refused to post internal content to %s, a person of another organisation", user)
            raise InternalPostRefused(f"{user} is not one of ours: internal content is never sent to them")

    async def _takes_handoffs(self, user: str) -> bool:
        """Whether a person can take a handoff: one of ours, not deactivated, not a bot, and known to Slack
        (users.info refusing for good, user_not_found say, is a no)."""
        try:
            outsider, available = await self._person(user)
        except Permanent as error:
            logger.warning("users.info %s: %s: taken as someone who can't take handoffs", user, error)
            return False
        return available and not outsider

    async def _person(self, user: str) -> tuple[bool, bool]:
        """(of another organisation, can take handoffs: not deactivated, not a bot), cached a while."""
        cached = self._people.get(user)
        if cached is None or cached[2] <= time.monotonic():
            info = (await slack_call(self._client.users_info(user=user))).get("user") or {}
            team = str(info.get("team_id") or "")
            outsider = bool(team) and team != await self._our_team()
            available = unavailable(info, user) is None
            cached = (outsider, available, time.monotonic() + CACHE_SECONDS)
            self._people[user] = cached
        return cached[0], cached[1]

    async def _our_team(self) -> str:
        if self._team_id is None:
            self._team_id = str((await slack_call(self._client.auth_test())).get("team_id") or "")
        return self._team_id

    async def _is_shared(self, channel: str) -> bool:
        cached = self._shared.get(channel)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        info = (await slack_call(self._client.conversations_info(channel=channel))).get("channel") or {}
        shared = bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared"))
        self._shared[channel] = (shared, time.monotonic() + (CACHE_SECONDS if shared else NOT_SHARED_SECONDS))
        return shared

    async def _view(self, item: OutboxItem) -> CardView:
        view = await self._service.card_view(int(item.payload["handoff_id"]))
        if view is None:
            raise Permanent(f"handoff {item.payload['handoff_id']} does not exist")
        return view

    async def _card_destination(self, view: CardView) -> tuple[str, str | None]:
        handoff = view.handoff
        channel = str(handoff.context.get("card_channel") or "")
        group = handoff.context.get("group")
        if not group:
            if not channel:
                raise Permanent(f"handoff {handoff.id} has no destination")
            return channel, None
        assert handoff.id is not None
        member = await self._service.route_to_member(
            handoff_id=handoff.id, members=await self._group_members(str(group))
        )
        if member is not None:
            return channel or member, f"<@{member}>"
        if channel:
            return channel, None  # the group's own channel, with nobody to mention
        fallback = await self._fallback_destination(view)
        if fallback is None:
            raise Permanent(f"user group {group} has no members to route handoff {handoff.id} to")
        return fallback

    @staticmethod
    def _has_fallback(view: CardView, *, besides: str = "") -> bool:
        context = view.handoff.context
        fallback = str(context.get("fallback_channel") or "")
        return bool(context.get("fallback_group")) or bool(fallback and fallback != besides)

    async def _fallback_destination(self, view: CardView) -> tuple[str, str | None] | None:
        """The route's fallback: its channel (or the user to DM), or a member of its group (the handoff is
        then routed to that group); None if it has none, or its group has no members."""
        handoff = view.handoff
        channel = str(handoff.context.get("fallback_channel") or "")
        if channel:
            return channel, None
        group = str(handoff.context.get("fallback_group") or "")
        if not group:
            return None
        assert handoff.id is not None
        strategy = Strategy(handoff.context.get("fallback_strategy") or Strategy.ROUND_ROBIN.value)
        member = await self._service.route_to_member(
            handoff_id=handoff.id, members=await self._group_members(group), reroute=(group, strategy)
        )
        return None if member is None else (member, f"<@{member}>")

    async def _group_members(self, group: str) -> list[str]:
        """A user group's members; none if Slack refuses to list them for good (a deleted group, a wrong id):
        the card then goes to the group's channel or the route's fallback instead of being lost."""
        cached = self._groups.get(group)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            response = await slack_call(self._client.usergroups_users_list(usergroup=group))
        except Permanent as error:
            logger.warning("user group %s can't be listed (%s): taken as having no members", group, error)
            response = None
        members = [str(user) for user in (response.get("users") or [])] if response is not None else []
        self._groups[group] = (members, time.monotonic() + CACHE_SECONDS)
        return members

    async def _permalink(self, channel: str, ts: str) -> str | None:
        # A permalink is the workspace URL (auth.test, asked once) + archives/<channel>/p<ts without the dot>,
        # which saves a chat.getPermalink round trip per card; the API call is the fallback.
        if self._workspace_url is None:
            try:
                self._workspace_url = str((await slack_call(self._client.auth_test())).get("url") or "")
            except Permanent:
                self._workspace_url = ""
        if self._workspace_url:
            return f"{self._workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
        key = (channel, ts)
        if key not in self._permalinks:
            try:
                response = await slack_call(self._client.chat_getPermalink(channel=channel, message_ts=ts))
            except Permanent as error:
                logger.warning("no permalink for %s/%s: %s", channel, ts, error)
                return None
            self._permalinks[key] = str(response.get("permalink") or "")
            if len(self._permalinks) > PERMALINKS_KEPT:
                self._permalinks.popitem(last=False)
        return self._permalinks[key] or None

    async def _already_posted(
        self, item: OutboxItem, *, channel: str, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """After an earlier try of this row that may have posted, find its post by metadata (Slack may have
        taken it). Not after a try known to have failed (a 429…): reads are rate-limited harder than posts."""
        if item.attempts <= 1 or surely_not_sent(item):
            return None
        if channel.startswith(("U", "W")):
            channel = str((await slack_call(self._client.conversations_open(users=channel)))["channel"]["id"])
        # From well before the row was queued: Slack's clock and this host's may differ by seconds (a drifting
        # VM), and the match is on the exact outbox id, so a wide window costs nothing.
        oldest = f"{item.created_at.timestamp() - LOOK_UP_MARGIN:.6f}"
        try:
            if thread_ts is None:
                response = await slack_call(
                    self._client.conversations_history(
                        channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                    )
                )
            else:
                response = await slack_call(
                    self._client.conversations_replies(
                        channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200
                    )
                )
        except Permanent as error:
            # Baton may post where it may not read (a channel it is not in, through chat:write.public; an
            # older install without im:history): better a post that may come twice than one never made.
            logger.warning(
                "outbox row %s: can't look for an earlier post in %s (%s); posting", item.id, channel, error
            )
            return None
        for message in response.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("outbox_id") == item.id:
                logger.info("outbox row %s was already delivered as %s/%s", item.id, channel, message["ts"])
                return channel, str(message["ts"])
        return None


def _metadata(event_type: str, item: OutboxItem, **payload: Any) -> dict[str, Any]:
    return {"event_type": event_type, "event_payload": {**payload, "outbox_id": item.id}}
