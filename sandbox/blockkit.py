"""Block Kit helpers: find interactive elements, build block_actions actions and view state values."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from sandbox.errors import SandboxError
from sandbox.models import JsonDict

_TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})
_SINGLE_OPTION = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
_MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
_SINGLE_PICK = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}
_MULTI_PICK = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}


def iter_elements(blocks: list[JsonDict]) -> Iterator[tuple[JsonDict, JsonDict]]:
    """(block, element) for every interactive element: actions elements, accessories, input elements."""
    for block in blocks:
        candidates: list[Any] = list(block.get("elements") or []) if block.get("type") == "actions" else []
        candidates += [block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id"):
                yield block, element


def find_element(
    blocks: list[JsonDict], action_id: str, block_id: str | None = None
) -> tuple[JsonDict, JsonDict]:
    """The (block, element) with action_id (in the block with block_id, if given), or action_not_found."""
    for block, element in iter_elements(blocks):
        if element.get("action_id") == action_id and block_id in (None, block.get("block_id")):
            return block, element
    available = sorted({str(e.get("action_id")) for _, e in iter_elements(blocks)})
    raise SandboxError("action_not_found", f"no element with action_id {action_id!r}; present: {available}")


def _options(element: JsonDict) -> list[JsonDict]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += list(group.get("options") or [])
    return options


def pick_option(element: JsonDict, choice: Any) -> JsonDict:
    """An option dict: given as a dict, or looked up by value among the element's options."""
    if isinstance(choice, dict):
        return choice
    for option in _options(element):
        if option.get("value") == choice:
            return option
    return {"text": {"type": "plain_text", "text": str(choice)}, "value": str(choice)}


def build_action(
    block: JsonDict,
    element: JsonDict,
    *,
    value: str | None = None,
    selected_user: str | None = None,
    selected_option: Any = None,
) -> JsonDict:
    """One entry of a block_actions payload's `actions` list."""
    kind = element["type"]
    action: JsonDict = {
        "action_id": element["action_id"],
        "block_id": block.get("block_id", ""),
        "type": kind,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = element.get("text")
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            action["value"] = chosen
        if element.get("style"):
            action["style"] = element["style"]
    elif kind == "users_select":
        action["selected_user"] = selected_user or value or element.get("initial_user")
    elif kind in _SINGLE_OPTION:
        choice = selected_option if selected_option is not None else value
        if choice is None:
            choice = (element.get("initial_option") or {}).get("value")
        action["selected_option"] = pick_option(element, choice)
    elif kind in _SINGLE_PICK:
        action[_SINGLE_PICK[kind]] = value
    elif value is not None:
        action["value"] = value
    return action


def empty_state(element: JsonDict) -> JsonDict:
    """The state entry of an input nobody filled in."""
    kind = element["type"]
    state: JsonDict = {"type": kind}
    if kind in _SINGLE_OPTION:
        state["selected_option"] = element.get("initial_option")
    elif kind in _MULTI_OPTION:
        state["selected_options"] = list(element.get("initial_options") or [])
    elif kind in _SINGLE_PICK:
        state[_SINGLE_PICK[kind]] = None
    elif kind in _MULTI_PICK:
        state[_MULTI_PICK[kind]] = []
    else:
        state["value"] = element.get("initial_value")
    return state


def element_state(element: JsonDict, given: Any) -> JsonDict:
    """The state entry for an input set to `given` (a raw value, or a ready state dict with a type)."""
    if isinstance(given, dict) and "type" in given:
        return given
    kind = element["type"]
    state: JsonDict = {"type": kind}
    if kind in _SINGLE_OPTION:
        state["selected_option"] = pick_option(element, given)
    elif kind in _MULTI_OPTION:
        choices = given if isinstance(given, list) else [given]
        state["selected_options"] = [pick_option(element, c) for c in choices]
    elif kind in _SINGLE_PICK:
        state[_SINGLE_PICK[kind]] = given
    elif kind in _MULTI_PICK:
        state[_MULTI_PICK[kind]] = list(given) if isinstance(given, list) else [given]
    else:
        state["value"] = given
    return state


def build_state_values(blocks: list[JsonDict], values: JsonDict) -> JsonDict:
    """view.state.values for a submission.

    `values` maps a block_id to {action_id: value} (or straight to a value when the block has one input),
    or an action_id to a value; a value is raw (text, option value, user id) or a full state dict.
    """
    inputs: dict[str, dict[str, JsonDict]] = {}
    for block, element in iter_elements(blocks):
        if block.get("type") == "input":
            inputs.setdefault(block.get("block_id", ""), {})[element["action_id"]] = element
    state = {bid: {aid: empty_state(el) for aid, el in els.items()} for bid, els in inputs.items()}
    for key, given in values.items():
        if key in inputs:
            elements = inputs[key]
            if isinstance(given, dict) and given and set(given) <= set(elements):
                for action_id, raw in given.items():
                    state[key][action_id] = element_state(elements[action_id], raw)
            elif len(elements) == 1:
                action_id, element = next(iter(elements.items()))
                state[key][action_id] = element_state(element, given)
            else:
                raise SandboxError("invalid_values", f"block {key!r} has several inputs; name the action_id")
            continue
        owner = next((bid for bid, els in inputs.items() if key in els), None)
        if owner is None:
            raise SandboxError("input_not_found", f"no input block or action_id {key!r} in the view")
        state[owner][key] = element_state(inputs[owner][key], given)
    return state
