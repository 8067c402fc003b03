"""Programme admins get the permissions of the new learned-weights page (issue #11)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_moderators_moderate_without_changing_content"),
        ("matching", "0003_learned_weights"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
