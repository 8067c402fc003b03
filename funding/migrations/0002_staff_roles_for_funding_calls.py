"""Programme admins publish funding calls; moderators may read them (staff/roles.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0001_funding_calls"),
        ("staff", "0005_moderators_work_the_report_queue"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
