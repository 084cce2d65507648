"""Payload -> MessageFacts, table-driven over the message shapes Slack sends."""

from datetime import UTC, datetime

import pytest

from handlers.facts import Installation, ai_assessment, message_facts, needs_team_lookup, slack_time
from routing.models import AuthorKind, MessageChange, WatchedChannel

OURS = Installation(team_id="T0OURS", bot_user_id="U0BATON", bot_id="B0BATON")
SHARED = WatchedChannel(channel_id="C0ACME", is_shared=True, ai_bot_ids=("B0AIBOT",))
INTERNAL_ONLY = WatchedChannel(channel_id="C0INT", is_shared=False)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def facts(event: dict, channel: WatchedChannel = SHARED, **kwargs):
    return message_facts(event, channel=channel, installation=OURS, received_at=NOW, **kwargs)


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (
            {"user": "U1", "user_team": "T0ACME", "team": "T0OURS", "ts": "1.1", "text": "hi"},
            AuthorKind.CUSTOMER,
        ),
        ({"user": "U1", "team": "T0ACME", "ts": "1.1", "text": "hi"}, AuthorKind.CUSTOMER),
        ({"user": "U2", "user_team": "T0OURS", "ts": "1.1", "text": "hi"}, AuthorKind.INTERNAL),
        ({"user": "U9", "bot_id": "B0AIBOT", "ts": "1.1", "text": "answer"}, AuthorKind.AI),
        ({"user": "U8", "bot_id": "B0OTHER", "ts": "1.1", "text": "deploy done"}, AuthorKind.OTHER_BOT),
        ({"subtype": "bot_message", "bot_id": "B0LEGACY", "ts": "1.1", "text": "x"}, AuthorKind.OTHER_BOT),
        ({"user": "U0BATON", "bot_id": "B0BATON", "ts": "1.1", "text": "card"}, AuthorKind.SELF),
    ],
)
def test_author_kind_comes_from_the_author_team_not_the_envelope(event, kind):
    assert facts(event).author_kind is kind


def test_external_user_in_a_channel_that_is_not_shared_is_not_a_customer():
    result = facts({"user": "U1", "user_team": "T0ACME", "ts": "1.1", "text": "hi"}, channel=INTERNAL_ONLY)
    assert result.author_kind is AuthorKind.INTERNAL


def test_looked_up_team_wins_when_the_payload_has_none():
    event = {"user": "U1", "ts": "1.1", "text": "hi"}
    assert needs_team_lookup(event) == "U1"
    assert facts(event, author_team="T0ACME").author_kind is AuthorKind.CUSTOMER


def test_thread_reply_is_keyed_by_its_root_and_top_level_by_itself():
    reply = facts({"user": "U1", "team": "T0ACME", "ts": "5.0", "thread_ts": "4.0", "text": "more"})
    top = facts({"user": "U1", "team": "T0ACME", "ts": "4.0", "text": "first"})
    assert (reply.thread_ts, top.thread_ts) == ("4.0", "4.0")


@pytest.mark.parametrize("subtype", ["thread_broadcast", "file_share", None])
def test_message_carrying_subtypes_are_new_messages(subtype):
    event = {"subtype": subtype, "user": "U1", "team": "T0ACME", "ts": "1.1", "text": "hello"}
    assert facts(event).change is MessageChange.NEW


@pytest.mark.parametrize("subtype", ["channel_join", "channel_leave", "channel_topic", "pinned_item"])
def test_housekeeping_subtypes_are_not_messages(subtype):
    assert facts({"subtype": subtype, "user": "U1", "ts": "1.1", "text": "joined"}) is None


def test_edit_and_delete_refer_to_the_original_message():
    edit = facts(
        {
            "subtype": "message_changed",
            "message": {"user": "U1", "user_team": "T0ACME", "ts": "1.1", "text": "new text"},
            "previous_message": {"user": "U1", "ts": "1.1", "text": "old"},
        }
    )
    delete = facts(
        {
            "subtype": "message_deleted",
            "deleted_ts": "1.1",
            "previous_message": {"user": "U1", "user_team": "T0ACME", "ts": "1.1", "text": "old"},
        }
    )
    assert (edit.change, edit.ts, edit.text) == (MessageChange.EDITED, "1.1", "new text")
    assert (delete.change, delete.ts) == (MessageChange.DELETED, "1.1")
    assert facts({"user": "U1", "ts": "1.1", "text": "new"}).changed_at is None


def test_an_edit_or_delete_carries_when_slack_made_it_to_the_microsecond():
    """The change event's own time orders changes: `edited.ts` has whole seconds only, and an unfurl (a
    change with no `edited`) must order against an edit made in the same second."""
    message = {"user": "U1", "ts": "1767600000.000100", "text": "x", "edited": {"ts": "1767600060.000000"}}
    edit = facts({"subtype": "message_changed", "message": message, "event_ts": "1767600060.000201"})
    assert edit.changed_at == datetime(2026, 1, 5, 8, 1, 0, 201, tzinfo=UTC)  # the event's
    only_edited = facts({"subtype": "message_changed", "message": message})
    assert only_edited.changed_at == datetime(2026, 1, 5, 8, 1, tzinfo=UTC)  # the edit's, if nothing else
    delete = facts(
        {"subtype": "message_deleted", "deleted_ts": "1767600000.000100", "event_ts": "1767600120"}
    )
    assert delete.changed_at == datetime(2026, 1, 5, 8, 2, tzinfo=UTC)
    assert slack_time("1767600000.000100x") is None and slack_time("١٧٦٧٦٠٠٠٠٠") is None


def test_file_share_without_text_uses_the_file_title():
    event = {
        "subtype": "file_share",
        "user": "U1",
        "team": "T0ACME",
        "ts": "1.1",
        "text": "",
        "files": [{"title": "error.png"}],
    }
    assert facts(event).text == "error.png"


def test_a_payload_without_ts_is_ignored():
    assert facts({"user": "U1", "text": "no ts"}) is None


@pytest.mark.parametrize(
    ("metadata", "confidence"),
    [
        ({"event_type": "ai_assessment", "event_payload": {"confidence": 0.45, "summary": "s"}}, 0.45),
        ({"event_type": "ai_assessment", "event_payload": {"confidence": "7"}}, 1.0),
        ({"event_type": "ai_assessment", "event_payload": {"confidence": "high"}}, None),
    ],
)
def test_ai_assessment_from_metadata_is_clamped_and_tolerant(metadata, confidence):
    assert ai_assessment(metadata).confidence == confidence


def test_other_metadata_is_not_an_assessment():
    assert ai_assessment({"event_type": "deploy", "event_payload": {}}) is None
    assert ai_assessment(None) is None
