"""Small helpers shared by tests."""

from __future__ import annotations

import re
from typing import Any

from server.extensions import db
from server.models import Operator

PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def make_operator(
    email: str = "ops@example.com", password: str = PASSWORD, active: bool = True
) -> Operator:
    operator = Operator(email=email, active=active)
    operator.set_password(password)
    db.session.add(operator)
    db.session.commit()
    return operator


def log_in(
    client: Any, email: str = "ops@example.com", password: str = PASSWORD, next_: str = ""
) -> Any:
    page = client.get("/login" + (f"?next={next_}" if next_ else ""))
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "next": next_,
            "csrf_token": csrf_token(page.text),
        },
    )


def admin_action(client: Any, view: str, action: str, ids: list[int]) -> Any:
    """Run one of the admin panel's list actions on the rows `ids`, as an operator would."""
    token = csrf_token(client.get(f"/admin/{view}/").text)
    return client.post(
        f"/admin/{view}/action/",
        data={"action": action, "rowid": [str(i) for i in ids], "csrf_token": token},
    )
