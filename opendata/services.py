"""Building the open data downloads, and pruning old builds.

A build writes every file into a folder of its own (open-data/<date>/<time>-<random>), so
two builds at once never touch each other's files, and creates its `OpenDataRelease` row
only after the last file is stored: until then, and if it fails, the previous release is
the one served. Old releases are removed after `KEEP_DAYS` days, never the newest.
"""

import logging
import tempfile
import uuid
from datetime import timedelta

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from insights.models import Computation

from .datasets import DATASETS
from .models import OpenDataRelease
from .writers import DatasetWriter

logger = logging.getLogger(__name__)

ROOT = "open-data"
KEEP_DAYS = 7


def _store(path: str, handle) -> tuple[str, int]:
    """Store an open temporary file under `path`; return the stored name and its size."""
    size = handle.tell()
    handle.seek(0)
    return default_storage.save(path, File(handle, name=path)), size


def build_open_data(*, keep_days: int = KEEP_DAYS) -> OpenDataRelease:
    """Write every download afresh and make it the one served; all-or-nothing.

    Safe to run twice or side by side: each run has its own folder and its own release
    row, and the newest complete release is served. On failure its own files are deleted
    and the previous release stays.
    """
    built_at = timezone.now()
    folder = f"{ROOT}/{built_at:%Y-%m-%d}/{built_at:%H%M%S}-{uuid.uuid4().hex[:12]}"
    computation = Computation.objects.latest_done()
    stored: list[str] = []
    files: dict[str, dict] = {}
    try:
        for dataset in DATASETS:
            with tempfile.TemporaryFile() as csv_file, tempfile.TemporaryFile() as json_file:
                writer = DatasetWriter(dataset, csv_file, json_file, built_at=built_at.isoformat())
                for row in dataset.rows():
                    writer.write(row)
                rows = writer.close()
                for extension, handle in (("csv", csv_file), ("json", json_file)):
                    name = f"{dataset.name}.{extension}"
                    path, size = _store(f"{folder}/{name}", handle)
                    stored.append(path)
                    files[name] = {"path": path, "size": size, "rows": rows}
    except BaseException:
        for path in stored:
            default_storage.delete(path)
        raise
    release = OpenDataRelease.objects.create(
        built_at=built_at,
        folder=folder,
        files=files,
        figures_computed_at=computation.finished_at if computation else None,
    )
    prune_open_data(keep_days=keep_days)
    return release


def prune_open_data(*, keep_days: int = KEEP_DAYS) -> int:
    """Delete releases (and their files) built more than `keep_days` ago, except the newest.

    Also deletes files left in folders of days before that by builds that never finished
    (a worker killed mid-build). Today's folders are left alone: another worker may be
    writing one. Idempotent; returns the number of releases deleted.
    """
    cutoff = timezone.now() - timedelta(days=keep_days)
    newest = OpenDataRelease.objects.newest()
    old = OpenDataRelease.objects.filter(built_at__lt=cutoff)
    if newest is not None:
        old = old.exclude(pk=newest.pk)
    deleted = 0
    for release in old:
        for entry in release.files.values():
            default_storage.delete(entry["path"])
        release.delete()
        deleted += 1
    _delete_unfinished(cutoff.date())
    return deleted


def _delete_unfinished(before) -> None:
    if not default_storage.exists(ROOT):
        return
    kept = set(OpenDataRelease.objects.values_list("folder", flat=True))
    days, _ = default_storage.listdir(ROOT)
    for day in days:
        if day >= f"{before:%Y-%m-%d}":
            continue
        builds, _ = default_storage.listdir(f"{ROOT}/{day}")
        for build in builds:
            folder = f"{ROOT}/{day}/{build}"
            if folder in kept:
                continue
            _, names = default_storage.listdir(folder)
            for name in names:
                default_storage.delete(f"{folder}/{name}")
            logger.info("Deleted the files of an unfinished open data build in %s", folder)
