"""Who may sign in through an e-mailed link: owners, and nobody with any staff power.

A link is a bearer credential sitting in a mailbox. It is acceptable for an owner's listing,
never for an account that can reach staff pages: staff sign in with a password at
/admin/login/. The rule lives in one queryset, used when a link is sent, when its token is
checked, and on every request of a session that began with a link (Django loads a session's
user through the backend that signed it in), so an account made staff later loses its
link sessions and unused links at once.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Exists, OuterRef
from sesame.backends import ModelBackend


def link_accounts(queryset=None):
    """Active accounts with no password, no staff or superuser flag, no group, no permission."""
    User = get_user_model()
    queryset = User._default_manager.all() if queryset is None else queryset
    return queryset.filter(
        is_active=True,
        is_staff=False,
        is_superuser=False,
        # Owners are created without a password; anyone given one signs in with it.
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
    ).exclude(
        Exists(User.groups.through.objects.filter(user_id=OuterRef("pk")))
        | Exists(User.user_permissions.through.objects.filter(user_id=OuterRef("pk")))
    )


def may_use_links(user) -> bool:
    return user is not None and link_accounts().filter(pk=user.pk).exists()


class OwnerLinkBackend(ModelBackend):
    """django-sesame's backend, for owner accounts only (one query, as before)."""

    def get_user(self, user_id):
        return link_accounts().filter(pk=user_id).first()
