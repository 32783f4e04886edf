"""The session's operator id is read as ASCII digits only."""

from __future__ import annotations

import time

import pytest
from flask import session

from server.web.auth import load_operator


@pytest.mark.parametrize("session_id", ["²:0", "1:²", "\u0661:0", "9" * 5000 + ":0", "1", ":", ""])
def test_a_session_id_that_is_not_two_plain_numbers_has_no_operator(app_context, session_id):
    with app_context.test_request_context():
        session["signed_in_at"] = int(time.time())
        assert load_operator(session_id) is None
