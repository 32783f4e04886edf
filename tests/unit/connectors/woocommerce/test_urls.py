import pytest

from server.connectors.woocommerce.urls import (
    UnsafeStoreURL,
    check,
    normalise,
    order_edit_url,
    plain_origin,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("HTTPS://shop.example.com:443/Store/", "https://shop.example.com/Store"),
        ("http://shop.example.com:8080", "http://shop.example.com:8080"),
        ("  https://shop.example.com/a/b//  ", "https://shop.example.com/a/b"),
        ("https://[2001:db8::1]:8443/", "https://[2001:db8::1]:8443"),
    ],
)
def test_normalised(url, expected):
    assert normalise(url) == expected


@pytest.mark.parametrize(
    "url",
    ["ftp://shop.example.com", "shop.example.com", "https://", "https://u:p@shop.example.com",
     "https://shop.example.com/?a=1", "https://shop.example.com:99999"],
)  # fmt: skip
def test_not_store_urls(url):
    with pytest.raises(UnsafeStoreURL):
        normalise(url)


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1", "https://10.1.2.3", "https://192.168.0.10", "https://[::1]",
            "https://169.254.169.254", "https://0.0.0.0", "https://[::ffff:127.0.0.1]"],
)  # fmt: skip
def test_internal_addresses_are_refused_unless_allowed(url):
    with pytest.raises(UnsafeStoreURL, match="not a public address"):
        check(url, allow_http=False, allow_private=False)
    assert check(url, allow_http=False, allow_private=True) == normalise(url)


def test_a_name_is_resolved_only_when_asked():
    """Where a person waits (adding a store) the name is resolved to refuse early; calls to
    the store check the address they reach (tests/unit/woocommerce/test_transport.py)."""
    with pytest.raises(UnsafeStoreURL, match="not a public address"):
        check("https://localhost:8443", allow_http=False, allow_private=False, resolve=True)
    assert (
        check("https://localhost:8443", allow_http=False, allow_private=False)
        == "https://localhost:8443"
    )


def test_plain_http_only_when_allowed():
    with pytest.raises(UnsafeStoreURL, match="https"):
        check("http://127.0.0.1:8000", allow_http=False, allow_private=True)
    assert (
        check("http://127.0.0.1:8000", allow_http=True, allow_private=True)
        == "http://127.0.0.1:8000"
    )


def test_a_public_address_passes():
    assert (
        check("https://93.184.216.34/", allow_http=False, allow_private=False)
        == "https://93.184.216.34"
    )


def test_an_unresolvable_host_is_refused_when_resolved():
    with pytest.raises(UnsafeStoreURL, match="cannot be found"):
        check("https://no-such-host.invalid", allow_http=False, allow_private=False, resolve=True)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Shop.Example/wp-admin/", "https://shop.example"),
        ("https://shop.example:443/", "https://shop.example"),
        ("http://shop.example:8080", "http://shop.example:8080"),
        ("https://bücher.example/", "https://xn--bcher-kva.example"),
        ("https://203.0.113.9/", "https://203.0.113.9"),
        ("http://[2001:DB8::1]:81/", "http://[2001:db8::1]:81"),
    ],
)
def test_a_plain_origin_is_the_scheme_host_and_port(url, origin):
    assert plain_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example; frame-ancestors *",
        "https://*.example/",
        "https://*/",
        "https://shop example/",
        "https://user@shop.example/",
        "https://shop.example:99999/",
        "https://-shop.example/",
        "https://shop.example./",
        "javascript:alert(1)",
        "//shop.example/",
        "ftp://shop.example/",
        "",
    ],
)
def test_anything_else_has_no_plain_origin(url):
    assert plain_origin(url) is None


# -- the order's edit screen in wp-admin ----------------------------------------------------


def test_an_order_opens_in_the_hpos_screen_when_hpos_is_known_to_be_on():
    assert (
        order_edit_url("https://shop.example/wp-admin/", 42, hpos=True)
        == "https://shop.example/wp-admin/admin.php?page=wc-orders&action=edit&id=42"
    )


@pytest.mark.parametrize("hpos", [False, None])
def test_otherwise_the_classic_screen_which_woocommerce_redirects_under_hpos(hpos):
    assert (
        order_edit_url("https://shop.example/wp-admin", 42, hpos=hpos)
        == "https://shop.example/wp-admin/post.php?post=42&action=edit"
    )


@pytest.mark.parametrize("admin_url", ["", "javascript:alert(1)", "ftp://shop.example/wp-admin"])
def test_no_link_from_an_address_that_is_not_http(admin_url):
    assert order_edit_url(admin_url, 42) is None
