"""Create the staff roles (Triager, Moderator, Programme admin) as groups with their permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from staff.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("clusters", "0003_postgres_search_index"),
        ("enquiries", "0001_initial"),
        ("introductions", "0001_initial"),
        ("matching", "0002_match_first_seen_at"),
        ("notifications", "0001_initial"),
        ("outbox", "0003_email_claimed_by"),
    ]

    # Going back leaves the groups: people may have been put in them since.
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
