from psm_portal.access import Perm, has_permission


def portal(request):
    """What the navigation needs: which menu entries this user may open."""
    user = getattr(request, "user", None)
    return {
        "can": {perm.name: has_permission(user, perm) for perm in Perm} if user else {},
    }
