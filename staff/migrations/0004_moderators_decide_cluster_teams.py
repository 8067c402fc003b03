"""Moderators decide who joins a cluster's team; programme admins get the teams app (#12)."""

from django.db import migrations


def sync(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_programme_admins_see_learned_weights"),
        ("teams", "0001_cluster_teams_and_shortlists"),
    ]

    # Going back leaves the groups as they are: people may have been put in them since.
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
