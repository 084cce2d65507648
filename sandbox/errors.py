"""Errors raised by the sandbox."""

from __future__ import annotations


class SandboxError(Exception):
    """A test or a person asked the sandbox for something impossible (unknown user, missing button, …)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class ApiError(Exception):
    """A Web API method failed; becomes {"ok": false, "error": code} with HTTP 200."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []
