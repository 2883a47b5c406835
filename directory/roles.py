"""Staff roles as Django groups, with the permissions they need and no more.

Kept in step with the code on every migrate (post_migrate), so a permission added here
reaches existing databases without a hand-written data migration.
"""

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

ROLES = {MODERATORS: MODERATOR_PERMISSIONS}
ROLE_DESCRIPTIONS = {MODERATORS: _("Équipe de communication : modération des fiches")}


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
