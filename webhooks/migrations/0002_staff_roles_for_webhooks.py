"""Programme admins may see webhooks and turn endpoints off (staff/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_endpoints_and_deliveries"),
        ("staff", "0008_programme_admins_see_and_revoke_api_tokens"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
