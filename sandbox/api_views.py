"""Web API: views.open, views.publish, views.update."""

from __future__ import annotations

import copy

from sandbox.api_common import ApiHost, Handler, opt_json, opt_str, req_str
from sandbox.errors import ApiError
from sandbox.ids import new_id, new_view_hash
from sandbox.models import JsonDict, View
from sandbox.wire import view_dict
from sandbox.workspace import Workspace, with_block_ids

MAX_VIEW_BLOCKS = 100
MAX_PRIVATE_METADATA = 3000  # characters (Slack's reference: modal and home views)
MAX_CALLBACK_ID = 255
MAX_VIEW_LABEL = 24  # title, submit and close texts


def _view_spec(args: JsonDict, expected_type: str | None) -> JsonDict:
    spec = opt_json(args, "view", "invalid_arguments")
    if not isinstance(spec, dict):
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: view"])
    view_type = spec.get("type")
    if view_type not in {"modal", "home"} or (expected_type and view_type != expected_type):
        raise ApiError("invalid_arguments", [f"[ERROR] view type must be {expected_type or 'modal or home'}"])
    blocks = spec.get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and b.get("type") for b in blocks):
        raise ApiError("invalid_arguments", ["[ERROR] view.blocks must be a list of blocks"])
    if len(blocks) > MAX_VIEW_BLOCKS:
        raise ApiError("invalid_arguments", [f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed"])
    if view_type == "modal" and not isinstance(spec.get("title"), dict):
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: title"])
    for field, limit in (("private_metadata", MAX_PRIVATE_METADATA), ("callback_id", MAX_CALLBACK_ID)):
        value = spec.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise ApiError(
                "invalid_arguments",
                [f"[ERROR] failed to match all allowed schemas [json-pointer:/view/{field}]"],
            )
    for field in ("title", "submit", "close"):
        text = (spec.get(field) or {}).get("text") if isinstance(spec.get(field), dict) else None
        if isinstance(text, str) and len(text) > MAX_VIEW_LABEL:
            raise ApiError(
                "invalid_arguments",
                [f"[ERROR] must be less than 25 characters [json-pointer:/view/{field}/text]"],
            )
    return spec


def _apply_spec(view: View, spec: JsonDict) -> View:
    view.blocks = with_block_ids(spec["blocks"])
    view.title = copy.deepcopy(spec.get("title"))
    view.submit = copy.deepcopy(spec.get("submit"))
    view.close = copy.deepcopy(spec.get("close"))
    view.callback_id = str(spec.get("callback_id") or "")
    view.private_metadata = str(spec.get("private_metadata") or "")
    view.external_id = str(spec.get("external_id") or view.external_id)
    view.clear_on_close = bool(spec.get("clear_on_close", False))
    view.notify_on_close = bool(spec.get("notify_on_close", False))
    view.hash = new_view_hash()
    return view


def _check_external_id(ws: Workspace, spec: JsonDict, own_id: str | None) -> None:
    external_id = spec.get("external_id")
    if external_id and any(v.external_id == external_id and v.id != own_id for v in ws.views.values()):
        raise ApiError("duplicate_external_id")


def views_open(host: ApiHost, args: JsonDict) -> JsonDict:
    """views.open: a modal, only with a fresh trigger_id the sandbox issued."""
    ws = host.workspace
    user_id = host.triggers.consume(opt_str(args, "trigger_id"))
    spec = _view_spec(args, "modal")
    _check_external_id(ws, spec, None)
    view = _apply_spec(View(id=new_id("V"), type="modal", user=user_id, team_id=ws.our_team_id), spec)
    ws.views[view.id] = view
    return {"ok": True, "view": view_dict(ws, view)}


def views_publish(host: ApiHost, args: JsonDict) -> JsonDict:
    """views.publish: a user's App Home tab (hash_conflict when a stale hash is given)."""
    ws = host.workspace
    user_id = req_str(args, "user_id", "user_not_found")
    if user_id not in ws.users:
        raise ApiError("user_not_found")
    spec = _view_spec(args, "home")
    current = ws.home_views.get(user_id)
    stale_hash = opt_str(args, "hash")
    if current is not None and stale_hash is not None and stale_hash != current.hash:
        raise ApiError("hash_conflict")
    view = current or View(id=new_id("V"), type="home", user=user_id, team_id=ws.our_team_id)
    _check_external_id(ws, spec, view.id)
    _apply_spec(view, spec)
    ws.home_views[user_id] = view
    ws.views[view.id] = view
    return {"ok": True, "view": view_dict(ws, view)}


def views_update(host: ApiHost, args: JsonDict) -> JsonDict:
    """views.update by view_id or external_id (hash_conflict when a stale hash is given)."""
    ws = host.workspace
    view_id, external_id = opt_str(args, "view_id"), opt_str(args, "external_id")
    if view_id is None and external_id is None:
        raise ApiError("invalid_arguments", ["[ERROR] view_id or external_id is required"])
    view = ws.views.get(view_id or "") or next(
        (v for v in ws.views.values() if external_id and v.external_id == external_id), None
    )
    if view is None:
        raise ApiError("not_found")
    stale_hash = opt_str(args, "hash")
    if stale_hash is not None and stale_hash != view.hash:
        raise ApiError("hash_conflict")
    spec = _view_spec(args, view.type)
    _check_external_id(ws, spec, view.id)
    _apply_spec(view, spec)
    return {"ok": True, "view": view_dict(ws, view)}


METHODS: dict[str, Handler] = {
    "views.open": views_open,
    "views.publish": views_publish,
    "views.update": views_update,
}
