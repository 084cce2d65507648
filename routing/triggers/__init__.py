"""The trigger engine. Public entry points live in `routing.triggers.engine`: `decide`, `unanswered_decision`.

(This package init stays empty so that `routing.rules` can import the pattern guard without a cycle.)
"""
