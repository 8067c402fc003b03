"""Create the nine themes and the mission's six clusters with their emissions."""

from decimal import Decimal

from django.db import migrations

from clusters.reference import CLUSTERS, EMISSIONS_SOURCE, THEMES


def create(apps, schema_editor):
    Theme = apps.get_model("clusters", "Theme")
    Cluster = apps.get_model("clusters", "Cluster")
    for position, (slug, name, description) in enumerate(THEMES):
        Theme.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    for slug, name, region, emissions in CLUSTERS:
        Cluster.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "region": region,
                "emissions_mtco2": Decimal(emissions),
                "emissions_source": EMISSIONS_SOURCE,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("clusters", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
