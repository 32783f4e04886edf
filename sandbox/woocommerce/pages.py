"""HTML pages: WordPress's ``wp_die`` screen, the critical-error page, a host's 429 page."""

from __future__ import annotations

import html

CRITICAL_ERROR = (
    "<p>There has been a critical error on this website.</p><p><a href="
    '"https://wordpress.org/support/article/faq-troubleshooting/">Learn more about '
    "troubleshooting WordPress.</a></p>"
)


def wp_die(title: str, message_html: str) -> str:
    """The default ``wp_die`` handler's page."""
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n\t<meta http-equiv="Content-Type" '
        'content="text/html; charset=utf-8" />\n\t<meta name="viewport" '
        "content=\"width=device-width\">\n\t<meta name='robots' content='max-image-preview:large,"
        f' noindex, follow\' />\n\t<title>{html.escape(title)}</title>\n\t<style type="text/css">'
        "html{background:#f1f1f1;}body{background:#fff;margin:2em auto;padding:1em 2em;"
        'max-width:700px;}</style>\n</head>\n<body id="error-page">\n\t<div class='
        f'"wp-die-message">{message_html}</div></body>\n</html>\n'
    )


def critical_error() -> str:
    """What WordPress shows after a PHP fatal error."""
    return wp_die("WordPress \u203a Error", CRITICAL_ERROR)


def too_many_requests() -> str:
    """A web host's rate-limit page."""
    return (
        "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center>"
        "<h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
        "</html>\r\n"
    )
