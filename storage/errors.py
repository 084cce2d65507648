"""Errors storage raises that mean something to the domain (defined beside the ports that raise them)."""

from __future__ import annotations

from routing.ports import LiveHandoffExists

__all__ = ["LiveHandoffExists"]
