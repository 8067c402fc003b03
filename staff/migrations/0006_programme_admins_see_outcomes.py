"""Programme admins see what came of introductions on the introduction's page (issue #13)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0005_moderators_work_the_report_queue"),
        ("introductions", "0004_outcome_asks_at_60_and_180_days"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
