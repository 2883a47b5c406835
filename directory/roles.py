"""Staff roles as Django groups, with the permissions they need and no more.

Kept in step with the code on every migrate (post_migrate), so a permission added here
reaches existing databases without a hand-written data migration.
"""

from functools import wraps

from django.contrib.auth.decorators import permission_required
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MODERATORS = "Modération"

# Moderators review listings, changes and claims, merge duplicates, carry out GDPR
# deletions, and correct any listing. They do not manage users, groups or reference lists.
MODERATOR_PERMISSIONS = [
    "directory.moderate_actor",
    "directory.view_actor",
    "directory.add_actor",
    "directory.change_actor",
    "directory.delete_actor",
    "directory.view_historicalactor",
    "directory.view_changerequest",
    "directory.change_changerequest",
    "directory.view_claim",
    "directory.change_claim",
    "directory.view_moderationevent",
    "directory.view_embedview",
    # Partner lists: moderators import them and answer for what they publish.
    "directory.import_actors",
    "directory.view_figures",
    "directory.view_importsource",
    "directory.change_importsource",
    "directory.view_category",
    "directory.view_label",
    "directory.view_salemode",
] + [
    f"directory.{action}_{model}"
    for model in (
        "openingslot",
        "season",
        "scheduleexception",
        "distributionlink",
        "marketauthorisation",
        "actorphoto",
    )
    for action in ("view", "add", "change", "delete")
]

EDITORS = "Rédaction"
CONTRIBUTORS = "Contributeurs"

# Editors (communication staff) write, schedule and publish "Fenêtre sur…" and manage the
# partners who supply content. They link listings through the public search (published
# listings only), so they get no access to the listings themselves.
EDITOR_PERMISSIONS = [
    "directory.publish_article",
    # Partners' embed figures and the site's: communication staff report them.
    "directory.view_embedview",
    "directory.view_figures",
    "directory.view_historicalarticle",
] + [
    f"directory.{action}_{model}"
    for model in ("article", "articleimage", "partner")
    for action in ("view", "add", "change", "delete")
]

# Contributors (partners: chambers, associations) draft articles and send them for review;
# they only ever see their own (ArticleQuerySet.editable_by) and cannot publish. They pick
# linked listings through the public search, so they get no access to listings.
CONTRIBUTOR_PERMISSIONS = [
    "directory.view_partner",
] + [
    f"directory.{action}_{model}"
    for model in ("article", "articleimage")
    for action in ("view", "add", "change", "delete")
]

ROLES = {
    MODERATORS: MODERATOR_PERMISSIONS,
    EDITORS: EDITOR_PERMISSIONS,
    CONTRIBUTORS: CONTRIBUTOR_PERMISSIONS,
}
ROLE_DESCRIPTIONS = {
    MODERATORS: _("Équipe de communication : modération des fiches"),
    EDITORS: _("Équipe de communication : rédaction et publication de « Fenêtre sur… »"),
    CONTRIBUTORS: _("Partenaires : proposent des articles, sans les publier"),
}


def sync_roles(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    for name, codes in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                raise LookupError(f"Unknown permission {code} for role {name}")
            permissions.append(permission)
        group.permissions.set(permissions)


def staff_permission_required(permission: str):
    """For staff pages: a signed-out visitor opening one is sent to the staff sign-in page
    and brought back; a signed-in person without the permission gets 403, as does any
    request that is not a page visit (a form sent after the session expired)."""

    def decorator(view):
        checked = permission_required(permission, raise_exception=True)(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "GET" and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            return checked(request, *args, **kwargs)

        return wrapper

    return decorator
