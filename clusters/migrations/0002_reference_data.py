"""Create the nine themes and the mission's six clusters with their emissions."""

from django.db import migrations

from clusters.reference import create_reference_data


def create(apps, schema_editor):
    create_reference_data(apps.get_model("clusters", "Theme"), apps.get_model("clusters", "Cluster"))


class Migration(migrations.Migration):
    dependencies = [("clusters", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
