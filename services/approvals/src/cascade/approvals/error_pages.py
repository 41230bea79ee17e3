"""The HTML error pages a browser gets (404, 422, 500, ...): plain words in the page shell,
a way back, never a stack trace."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from cascade.approvals.web import render

# (heading, what Mike can do) by status; anything else is a refusal with its own message.
_TEXTS = {
    404: ("Not found", "The address may be mistyped, or the item may never have existed."),
    422: ("That address has a value this page cannot use",
          "Check the filters, or start again from the list."),
    500: ("Something went wrong on our side",
          "Nothing was changed by this request. The error is in the service log; try again in "
          "a moment."),
}  # fmt: skip


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page in the shell, for `errors.install_error_handlers`."""
    heading, advice = _TEXTS.get(status, ("This request was refused", ""))
    detail = "" if status == 500 else message
    if status == 404 and detail == "Not Found":
        detail = f"There is no page at {request.url.path}."
    back = request.url.path if status == 422 else "/"
    return render(
        "error.html", status, user=getattr(request.state, "user", None), status=status,
        heading=heading, detail=detail, advice=advice, back=back,
    )  # fmt: skip
