from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.web.auth.safe_next import safe_next_path

DEFAULT = "/admin/"


@pytest.mark.parametrize(
    "target",
    ["/admin/store/", "/admin/store/?page=2&sort=1", "/login?next=%2Fadmin%2F"],
)
def test_local_paths_are_kept(target):
    assert safe_next_path(target, DEFAULT) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "admin/store/",
        "/admin\r\nLocation: https://evil.example",
        "https:evil.example",
    ],
)
def test_anything_that_could_leave_the_site_falls_back(target):
    assert safe_next_path(target, DEFAULT) == DEFAULT


@given(st.text())
def test_a_browser_following_the_result_stays_on_this_site(target):
    result = safe_next_path(target, DEFAULT)
    # Browsers drop tabs and newlines and read a backslash as a slash; urljoin does not.
    seen = result.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    followed = urlsplit(urljoin("https://wooxero.example/login", seen))
    assert (followed.scheme, followed.netloc) == ("https", "wooxero.example")
