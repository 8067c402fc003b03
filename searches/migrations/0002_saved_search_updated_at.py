"""A saved search's updated_at (the API's `updated_since`): for those saved before, when they
were saved (they may have been renamed since, but that moment is not known)."""

import django.utils.timezone
from django.db import migrations, models


def from_created_at(apps, schema_editor):
    SavedSearch = apps.get_model("searches", "SavedSearch")
    SavedSearch.objects.update(updated_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("searches", "0001_saved_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="savedsearch",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RunPython(from_created_at, migrations.RunPython.noop, elidable=True),
    ]
