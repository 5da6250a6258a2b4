"""What was typed into a form that is refused on a page it redirects to (a case's review step,
a Bimtek quota): it waits in the session, once, and fills the same form again with its errors."""

# Twice the longest field these forms take (a review note of 2,000 characters): a note refused
# for being too long comes back whole, to be shortened, not cut where the limit fell (what was
# typed past it was lost). The bound is per field: a review form keeps a dozen, so a hostile
# post puts at most some 50 KB in the session, read on every request until it is shown.
KEPT_CHARS = 4_000


def keep_typed(request, key: str, names) -> None:
    """Kept even when empty: the form's section opens again."""
    request.session[f"typed-{key}"] = {
        name: request.POST.get(name, "")[:KEPT_CHARS] for name in names
    }


def take_typed(request, key: str) -> dict | None:
    return request.session.pop(f"typed-{key}", None)
