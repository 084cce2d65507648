"""The escalation type form's edit: a refused value is reported under the field it came from."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.config import BatonConfig, config_to_data
from routing.type_form import FieldProblem, form_edit, type_form


@pytest.mark.parametrize(
    ("field", "value"),
    [("claim_minutes", "soon"), ("claim_minutes", "0000000060"), ("resolve_minutes", "1e3")],
)
def test_a_refused_value_names_its_field(field: str, value: str):
    before = type_form(BatonConfig(), "human_request")
    with pytest.raises(FieldProblem) as raised:
        edit = form_edit(before, replace(before, **{field: value}))
        assert edit is not None
        edit(config_to_data(BatonConfig()))
    assert raised.value.field == field
