"""Programme admins see personal API tokens and revoke misused ones (issue #15)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0007_moderators_and_programme_admins_read_insights"),
        ("api", "0001_personal_tokens_and_removals"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
