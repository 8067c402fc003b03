"""Rebuild work rows name object 0, not NULL (matching.services.REBUILD_OBJECT_ID).

NULLs never collide in the one-pending-row-per-object constraint, so two rebuilds asked for at
once both waited and both ran (found by the two-beats drill). Rows written before that fix
still say NULL: a pending one would not be found by the new code, which would queue a second
rebuild at deploy time. Give them object 0, keeping one pending rebuild (they are all the
same work: refit and rebuild everything).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Work = apps.get_model("matching", "MatchingWork")
    old = Work.objects.filter(kind="rebuild", object_id__isnull=True)
    pending = list(old.filter(state="pending").order_by("pk").values_list("pk", flat=True))
    if pending:
        if Work.objects.filter(kind="rebuild", object_id=0, state="pending").exists():
            keep = []
        else:
            keep = pending[:1]
        Work.objects.filter(pk__in=keep).update(object_id=0)
        Work.objects.filter(pk__in=pending[len(keep) :]).delete()
    old.exclude(state="pending").update(object_id=0)


class Migration(migrations.Migration):
    dependencies = [("matching", "0004_rebuild_map_reduce")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
