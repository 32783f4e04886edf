"""Deep links into Xero's web app for a document, by the organisation's short code (in
`GET /Organisation`), so the right organisation opens whichever one the user had open:
invoices and credit notes through the organisation login page and its `redirecturl`,
quotes (only in Xero's newer app) by the short code in the path, as Xero's own MCP server
links them."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

LOGIN = "https://go.xero.com/organisationlogin/default.aspx?shortcode={short_code}&redirecturl="
SHORT_CODE = re.compile(r"^!?[A-Za-z0-9]{1,20}$")
LINKS = {
    "invoice": LOGIN + "/AccountsReceivable/View.aspx?InvoiceID={id}",
    "credit_note": LOGIN + "/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={id}",
    "quote": "https://go.xero.com/app/{short_code}/quotes/view/{id}",
}


def document_url(short_code: str, kind: str, xero_id: str) -> str | None:
    """The document's page in Xero, or None for a kind Xero shows no page for here, a short
    code or an id that is not one."""
    link = LINKS.get(kind)
    if link is None or not SHORT_CODE.match(short_code or ""):
        return None
    try:
        document_id = str(uuid.UUID(xero_id or ""))
    except ValueError:
        return None
    return link.format(short_code=quote(short_code, safe="!"), id=document_id)
