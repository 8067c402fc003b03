"""Staff roles: the Django groups and the least permissions each needs, in this one place.

A person gets a role by being made staff (`is_staff`) and put in its group. Someone who both
triages and moderates is put in both groups. Superusers keep every permission.

After changing ROLES, run `python manage.py sync_staff_roles` (and add a migration that calls
`sync_roles`, so that every database gets the change).
"""

TRIAGER = "Triager"
MODERATOR = "Moderator"
PROGRAMME_ADMIN = "Programme admin"

# The apps this project wrote. A programme admin may do anything in them.
PROJECT_APPS = (
    "clusters",
    "enquiries",
    "matching",
    "introductions",
    "notifications",
    "outbox",
    "teams",
    "reports",
    "funding",
    "insights",
    "webhooks",
)

# "app_label.codename", or "app_label.*" for every permission of the app.
ROLES: dict[str, list[str]] = {
    # Reads, sorts and answers enquiries. Replying, adding a note, assigning and changing the
    # status are all saves of the enquiry page, so "change enquiry" covers them. Nothing on
    # organisations, listings or users.
    TRIAGER: [
        "enquiries.view_enquiry",
        "enquiries.change_enquiry",
        "enquiries.view_enquiryevent",
    ],
    # Approves or rejects organisations and their changes of name, takes listings down and
    # restores them: the admin actions that call the services need "moderate". Reads
    # organisations and listings, and sees who is behind an organisation (its members and
    # join requests), but changes no content: no "change" permission, so the change forms
    # are read-only to moderators. No enquiries: the enquiry actions are open to anyone who
    # can see the list, so even "view enquiry" would let a moderator mark enquiries as spam.
    MODERATOR: [
        "clusters.view_organisation",
        "clusters.moderate_organisation",
        "clusters.view_listing",
        "clusters.moderate_listing",
        "clusters.view_membership",
        "clusters.view_joinrequest",
        # Decides who joins a cluster's team (the people who post its challenges).
        "teams.view_clusterteammember",
        "teams.decide_clusterteammember",
        # Works the queue of reports from visitors: dismisses them, takes reported listings
        # down, refers reports of organisations to a programme admin (who resolves them).
        "reports.view_report",
        "reports.moderate_report",
        # Sees the funding calls staff publish (to answer questions about them); programme
        # admins publish, edit, close and reopen them.
        "funding.view_fundingcall",
        # Reads the gap analysis and the partnering funnel (insights/views.py).
        "insights.view_computation",
    ],
    # Runs the programme: everything in the project's apps (editing content, and the
    # moderation actions), and can look people up. Status is never edited, even here: it
    # changes only through the actions (see clusters/admin.py).
    # Changing users (staff status, groups, passwords) stays with superusers.
    PROGRAMME_ADMIN: [
        *(f"{app}.*" for app in PROJECT_APPS),
        "accounts.view_user",
        # Sees every personal API token (name, owner, scope, last use; never a secret) and
        # revokes one that is misused. Tokens are not edited: no "change" permission.
        "api.view_apitoken",
        "api.revoke_apitoken",
    ],
}


def permissions_for(role: str, permission_model, present: set[str] | None = None) -> list:
    """The Permission rows a role grants, from a Permission model (live or historical).

    `present`: the app labels whose models exist yet (in a migration, an app migrated later
    than this one has none); permissions of other apps are left for that app's own
    migration to grant (it calls sync_roles again). None: every app.
    """
    from django.db.models import Q

    wanted = [p for p in ROLES[role] if present is None or p.split(".")[0] in present]
    whole_apps = {p.split(".")[0] for p in wanted if p.endswith(".*")}
    codenames = {tuple(p.split(".")) for p in wanted if not p.endswith(".*")}
    candidates = permission_model.objects.select_related("content_type").filter(
        Q(content_type__app_label__in=whole_apps)
        | Q(codename__in=[codename for _, codename in codenames])
    )
    found = [
        perm
        for perm in candidates
        if perm.content_type.app_label in whole_apps
        or (perm.content_type.app_label, perm.codename) in codenames
    ]
    missing = codenames - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"{role}: no such permission {sorted(missing)}")
    return found


def sync_roles(apps) -> dict[str, int]:
    """Create each role's group and give it exactly its permissions. Idempotent.

    `apps` is the app registry: `django.apps.apps`, or a migration's historical one.
    Returns how many permissions each group now has.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after `migrate`; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    present = {c.label for c in apps.get_app_configs() if list(c.get_models())}
    counts = {}
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = permissions_for(role, permission_model, present)
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts
