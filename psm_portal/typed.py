"""What was typed into a form that is refused on a page it redirects to (a case's review step,
a Bimtek quota): it waits in the session, once, and fills the same form again with its errors."""


def keep_typed(request, key: str, names) -> None:
    """Kept even when empty: the form's section opens again."""
    request.session[f"typed-{key}"] = {name: request.POST.get(name, "")[:2000] for name in names}


def take_typed(request, key: str) -> dict | None:
    return request.session.pop(f"typed-{key}", None)
