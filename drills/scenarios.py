"""The fault scenarios. Each injects one fault while work flows, then counts from the database
and from the SMTP server what came out: nothing lost, nothing done twice, and how long until
the backlog cleared. `unprotected` switches off the protection the scenario relies on, to show
that the drill can fail (docs/reliability.md)."""

import collections
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from . import core, seed
from .core import Result, control, count_mail, wait_until
from .web import Crowd, Member

SWEEPERS = ["resend-pending-emails", "sweep-matching-work"]


def _stamp() -> str:
    return datetime.now(UTC).strftime("%H%M%S")


@contextmanager
def sweepers_off(off: bool):
    """Beat's sweepers (re-send pending emails and matching work) disabled for a while."""
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    if off:
        PeriodicTask.objects.filter(name__in=SWEEPERS).update(enabled=False)
        PeriodicTasks.update_changed()
    try:
        yield
    finally:
        if off:
            PeriodicTask.objects.filter(name__in=SWEEPERS).update(enabled=True)
            PeriodicTasks.update_changed()


@contextmanager
def worker_env(name: str, overrides: dict[str, str]):
    """Restart a worker pool with some variables changed, and back to normal afterwards."""
    if not overrides:
        yield
        return
    base = core.state() / "env" / "worker.env"
    lines = [
        line for line in base.read_text().splitlines() if line.split("=", 1)[0] not in overrides
    ]
    lines += [f"{key}={value}" for key, value in overrides.items()]
    changed = core.state() / "env" / f"{name}-changed.env"
    changed.write_text("\n".join(lines) + "\n")
    control("stop", name)
    control("start", name, {"DRILL_WORKER_ENV": str(changed)})
    try:
        yield
    finally:
        control("stop", name)
        control("start", name)


def _listing_texts(count: int) -> list[tuple[str, str]]:
    from clusters.models import Listing

    rows = list(
        Listing.objects.filter(ref__startswith="D-", kind="need").values_list(
            "title", "description"
        )[:count]
    )
    return rows or [("Heat recovery from a kiln", "Waste heat from a lime kiln, 2 MW.")]


def _restarts() -> int:
    """How many times the Celery parts exited and their supervisor started them again."""
    return sum(
        core.log_count(name, "drill: exited with status")
        for name in ("worker-matching", "worker-email", "beat")
    )


def _emails_settled(domain: str) -> bool:
    from outbox.models import Email

    return not Email.objects.filter(to__endswith="@" + domain).exclude(status="sent").exists()


# (a) Redis stopped while listings are published through the web and digests are sent --------


def redis_outage(r: Result, short: bool, unprotected: bool) -> None:
    from clusters.models import Listing, Theme
    from matching.models import Match, MatchingRun, MatchingWork
    from notifications import services as notifications

    outage = 10 if short else 30
    people = 100 if short else 500
    domain = seed.cohort(f"a{_stamp()}", people)
    password = (core.state() / "publisher-password").read_text().strip()
    member = Member(core.site_url(), core.certificate(), seed.PUBLISHER_EMAIL, password)
    member.sign_in()
    themes = list(Theme.objects.values_list("pk", flat=True)[:2])
    texts = _listing_texts(40)
    published: list[str] = []
    refused: list[str] = []
    stop = threading.Event()
    stamp = _stamp()

    def publish():
        i = 0
        while not stop.is_set():
            title, description = texts[i % len(texts)]
            try:
                published.append(
                    member.publish(
                        "drill-publisher", f"{title} (drill {stamp}/{i})", description, themes
                    )
                )
            except Exception as exc:  # noqa: BLE001 (counted and reported)
                refused.append(f"{type(exc).__name__}: {exc}"[:200])
            i += 1
            time.sleep(0.3)

    restarts = _restarts()
    with sweepers_off(unprotected):
        publisher = threading.Thread(target=publish)
        publisher.start()
        time.sleep(3 if short else 5)
        before_outage = len(published)
        control("stop", "redis")
        down_at = time.monotonic()
        # The digest run starts in the outage: what beat's task does, run here, since beat
        # cannot reach Redis either. Its emails are rows first; their messages cannot be sent
        # (each try gives up after about a second, so the run outlasts a short outage).
        digests = {}

        def send_digests():
            from django.db import connection

            try:
                digests["queued"] = notifications.send_digests("daily")
            finally:
                connection.close()  # this thread's own

        digest_run = threading.Thread(target=send_digests)
        digest_run.start()
        time.sleep(max(0.0, outage - (time.monotonic() - down_at)))
        during_outage = len(published) - before_outage
        control("start", "redis")
        up_at = time.monotonic()
        digest_run.join()
        queued = digests.get("queued", 0)
        r.figure("Redis down (s)", up_at - down_at)
        time.sleep(3 if short else 5)
        stop.set()
        publisher.join()

        def matched() -> bool:
            ids = list(Listing.objects.filter(ref__in=published).values_list("pk", flat=True))
            open_work = MatchingWork.objects.filter(
                kind="listing", object_id__in=ids, state__in=["pending", "running"]
            ).exists()
            runs = MatchingRun.objects.filter(kind="listing", subject__in=published)
            return not open_work and runs.values("subject").distinct().count() == len(published)

        def cleared() -> bool:
            return (
                matched()
                and count_mail(domain, people).people >= people
                and (_emails_settled(domain))
            )

        done, _ = wait_until(cleared, timeout=60 if unprotected else 150)
        cleared_after = time.monotonic() - up_at
        time.sleep(2)  # anything sent twice arrives now
        # Counted before the sweepers (if off) are back on.
        in_db = Listing.objects.filter(ref__in=published, status="published").count()
        runs = MatchingRun.objects.filter(kind="listing", subject__in=published)
        per_listing = collections.Counter(runs.values_list("subject", flat=True))
        twice = sum(1 for n in per_listing.values() if n > 1)
        matches = Match.objects.filter(source_listing__ref__in=published).count()
        unmatched = len(published) - runs.values("subject").distinct().count()
        mail = count_mail(domain, people)
    r.figure("listings published through nginx (confirmed to the member)", len(published))
    r.figure("... of which while Redis was down", during_outage)
    r.figure("publish attempts refused with an error", len(refused))
    r.figure("confirmed listings found published in PostgreSQL", in_db)
    r.figure("listings matched (one matching run each)", len(published) - unmatched)
    r.figure("listings matched more than once", twice)
    r.figure("matches written for them", matches)
    r.figure("Celery processes that exited and were restarted", _restarts() - restarts)
    r.figure("digest emails queued (the run began while Redis was down)", queued)
    r.figure("digest emails received by the SMTP server (people)", f"{mail.people} of {people}")
    r.figure("people who received two", mail.twice)
    if done:
        r.figure("backlog cleared after Redis came back (s)", cleared_after)
    else:
        r.figure("backlog cleared after Redis came back (s)", f"not within {cleared_after:.0f}")
    r.check("every confirmed listing is published", in_db == len(published))
    r.check("listings were published while Redis was down", during_outage > 0)
    r.check("no publish refused", not refused)
    r.check("every published listing matched, once", unmatched == 0 and twice == 0)
    r.check("every digest received, once", mail.missing == 0 and mail.twice == 0)
    r.check("the backlog cleared within the drill's bound", bool(done))
    if refused:
        r.notes.append("Refusals: " + "; ".join(sorted(set(refused))[:3]))


# (b) a matching worker killed (kill -9, the whole group) in the middle of a full rebuild ------


def _rebuild_through_workers(after_pk: int, timeout: float, on_chunk=None):
    """Ask for a rebuild as the nightly task does; wait for its run to finish. Returns (run,
    seconds) or (run or None, None) on a timeout. `on_chunk(run)` is polled meanwhile."""
    from matching.models import MatchingRun
    from matching.tasks import nightly_rebuild_task

    started = time.monotonic()
    nightly_rebuild_task.delay()
    runs = MatchingRun.objects.filter(kind="rebuild", pk__gt=after_pk).order_by("pk")
    while time.monotonic() - started < timeout:
        run = runs.first()
        if run is not None:
            if on_chunk is not None:
                on_chunk(run)
            if run.status != "running":
                return run, time.monotonic() - started
        time.sleep(0.05)
    return runs.first(), None


def worker_kill(r: Result, short: bool, unprotected: bool) -> None:
    from django.db.models import Max

    from matching import services
    from matching.models import Match, MatchingRun, RebuildChunk

    last = MatchingRun.objects.aggregate(m=Max("pk"))["m"] or 0
    reference_run, reference_seconds = _rebuild_through_workers(last, 300)
    if reference_seconds is None or reference_run.status != "done":
        raise core.DrillError("the undisturbed rebuild did not finish")
    reference = set(Match.objects.values_list("source_key", "target_id", "rank"))
    r.figure("undisturbed rebuild, request to done (s)", reference_seconds)
    r.figure("matches in the undisturbed rebuild", len(reference))
    # Every suggestion deleted, so that the rebuild under fault has to write each one again.
    services.delete_untouched(Match.objects.all())
    kill = {"at": None, "chunks": [], "done_before": 0}

    def maybe_kill(run):
        if kill["at"] is not None:
            return
        chunks = RebuildChunk.objects.filter(run=run, index__lt=run.chunks_total or 1000)
        busy = list(
            chunks.filter(claimed_at__isnull=False, done=False).values_list("index", flat=True)
        )
        done = chunks.filter(done=True).count()
        if busy and done >= 1:
            control("kill", "worker-matching")
            kill.update(at=time.monotonic(), chunks=busy, done_before=done)
            if unprotected:
                # What acks_late off would mean: a message is gone once it is delivered. The
                # killed worker's unacknowledged messages are deleted from Redis.
                import redis
                from django.conf import settings

                redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")
            control("start", "worker-matching")

    last = MatchingRun.objects.aggregate(m=Max("pk"))["m"] or 0
    with sweepers_off(unprotected):
        run, seconds = _rebuild_through_workers(last, 90 if unprotected else 240, maybe_kill)
    finished = time.monotonic()
    if run is not None:
        run.refresh_from_db()
    rebuilds = MatchingRun.objects.filter(kind="rebuild", pk__gt=last).count()
    now = set(Match.objects.values_list("source_key", "target_id", "rank"))
    chunks = RebuildChunk.objects.filter(run=run) if run else RebuildChunk.objects.none()
    r.figure("chunks (and a merge)", f"{run.chunks_total if run else 0} (+1)")
    r.figure("chunks done before the kill", kill["done_before"])
    r.figure(
        "chunks running at the kill -9 (their index)", ", ".join(map(str, kill["chunks"])) or "none"
    )
    r.figure("rebuild under fault, request to done (s)", seconds if seconds else "not done")
    if seconds and kill["at"]:
        r.figure("from the kill -9 to done: the backlog cleared (s)", finished - kill["at"])
        r.figure("added to the undisturbed time (s)", seconds - reference_seconds)
    r.figure("rebuild runs started", rebuilds)
    r.figure("matches written by the run", run.matches_written if run else 0)
    r.figure("matches missing (undisturbed rebuild's, not there now)", len(reference - now))
    r.figure("matches not in the undisturbed rebuild", len(now - reference))
    r.check("the kill landed in the middle of the rebuild", kill["at"] is not None)
    r.check("the rebuild completed", bool(run) and run.status == "done")
    r.check(
        "once: one rebuild run, every chunk done",
        rebuilds == 1 and bool(run) and not chunks.filter(done=False).exists(),
    )
    r.check(
        "every match written, once",
        now == reference and bool(run) and run.matches_written == len(reference),
    )
    if unprotected and run is not None:
        # The sweeper, back on, sends the lost chunk again once its lease has run out: the
        # run is left finished for the scenarios after this one.
        wait_until(lambda: not MatchingRun.objects.filter(pk=run.pk, status="running").exists(), 90)


# (c) PostgreSQL restarted (pg_ctl restart -m fast) during a digest run ------------------------


def postgres_restart(r: Result, short: bool, unprotected: bool) -> None:
    from django.db import connection

    from notifications.tasks import send_digests_task

    people = 300 if short else 2000
    domain = seed.cohort(f"c{_stamp()}", people)
    overrides = {"OUTBOX_MARK_SENT_RETRY_SECONDS": "0"} if unprotected else {}
    with worker_env("worker-email", overrides):
        started = time.monotonic()
        send_digests_task.delay("daily")
        _, waited = wait_until(lambda: count_mail(domain, people).received >= people // 4, 120, 0.1)
        before = count_mail(domain, people).received
        restart_at = time.monotonic()
        restart_seconds = control("pg-restart")
        connection.close()  # this process's own connection died with the old server
        done, _ = wait_until(
            lambda: count_mail(domain, people).people >= people and _emails_settled(domain),
            90 if unprotected else 180,
        )
        finished = time.monotonic()
        time.sleep(2)
    mail = count_mail(domain, people)
    r.figure("people owed one digest email", people)
    r.figure("received before the restart", before)
    r.figure("PostgreSQL restart, pg_ctl restart -m fast (s)", restart_seconds)
    r.figure("emails received", mail.received)
    r.figure("people who received theirs", mail.people)
    r.figure("people who received two", mail.twice)
    if done:
        r.figure("backlog cleared after the restart began (s)", finished - restart_at)
        r.figure("whole digest run, request to last email (s)", finished - started)
    else:
        r.figure("backlog cleared after the restart began (s)", "not within the bound")
    r.check("the restart fell in the middle of the run", 0 < before < people)
    r.check("every email received", mail.missing == 0)
    r.check("no email received twice", mail.twice == 0)
    r.check("every outbox row marked sent", _emails_settled(domain))


# (d) two beat schedulers started by mistake -------------------------------------------------


def two_beats(r: Result, short: bool, unprotected: bool) -> None:
    import json

    from django.db.models import Max
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from matching.models import MatchingRun

    people = 50 if short else 300
    stamp = _stamp()
    domain = seed.cohort(f"d{stamp}", people)
    now = datetime.now(UTC)
    at = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (at - now).total_seconds() < (15 if short else 20):  # time for beat2 to start
        at += timedelta(minutes=1)
    crontab = CrontabSchedule.objects.create(
        minute=str(at.minute), hour=str(at.hour), timezone="UTC"
    )
    names = {"digests": f"drill-digests-{stamp}", "rebuild": f"drill-rebuild-{stamp}"}
    PeriodicTask.objects.create(
        name=names["digests"],
        task="notifications.tasks.send_digests_task",
        crontab=crontab,
        args=json.dumps(["daily"]),
    )
    PeriodicTask.objects.create(
        name=names["rebuild"], task="matching.tasks.nightly_rebuild_task", crontab=crontab
    )
    last = MatchingRun.objects.aggregate(m=Max("pk"))["m"] or 0
    control("start", "beat2")
    try:
        time.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
        due = time.monotonic()
        runs = MatchingRun.objects.filter(kind="rebuild", pk__gt=last)

        def cleared() -> bool:
            return (
                runs.exists()
                and not runs.filter(status="running").exists()
                and count_mail(domain, people).people >= people
                and _emails_settled(domain)
            )

        done, _ = wait_until(cleared, 180)
        cleared_after = time.monotonic() - due
        time.sleep(3)
    finally:
        control("stop", "beat2")
        PeriodicTask.objects.filter(name__in=names.values()).delete()
        crontab.delete()
    sent = {
        key: core.log_count("beat", f"Sending due task {name} ")
        + core.log_count("beat2", f"Sending due task {name} ")
        for key, name in names.items()
    }
    mail = count_mail(domain, people)
    rebuilds = runs.count()
    r.figure("beat processes", 2)
    r.figure("scheduled digest runs sent by the two beats", sent["digests"])
    r.figure("scheduled rebuilds sent by the two beats", sent["rebuild"])
    r.figure("rebuild runs", rebuilds)
    r.figure("people owed one digest email", people)
    r.figure("people who received theirs", mail.people)
    r.figure("people who received two", mail.twice)
    if done:
        r.figure("scheduled work done, from the due minute (s)", cleared_after)
    r.check("both beats sent the scheduled work (the fault happened)", min(sent.values()) >= 2)
    r.check("the rebuild ran once", rebuilds == 1 and not runs.exclude(status="done").exists())
    r.check("every email once", mail.missing == 0 and mail.twice == 0)


# (e) a web server killed (kill -9, its gunicorn group) under load ---------------------------


def web_kill(r: Result, short: bool, unprotected: bool) -> None:
    import os
    import signal

    from clusters.models import Listing

    duration = 12 if short else 30
    people = 4 if short else 8
    ref = Listing.objects.filter(status="published").values_list("ref", flat=True).first()
    paths = ["/cookies/", "/challenges/", "/offers/", f"/listings/{ref}/", "/"]
    config = core.state() / "nginx" / "nginx.conf"
    original = config.read_text()
    master = int((core.state() / "run" / "nginx-master.pid").read_text())
    if unprotected:
        # No retry on the other server, and no leaving a failed server out: every request
        # nginx sends to the dead server fails (with max_fails=1, the first failure, often a
        # request in flight, took web1 out for 10 s, and the drill sometimes passed).
        config.write_text(
            original.replace(
                "proxy_next_upstream error timeout;", "proxy_next_upstream off;"
            ).replace("max_fails=1 fail_timeout=10s", "max_fails=0")
        )
        os.kill(master, signal.SIGHUP)
        time.sleep(2)
    try:
        with Crowd(core.site_url(), core.certificate(), paths, people) as crowd:
            time.sleep(duration / 3)
            group = int((core.state() / "run" / "web1.pid").read_text())
            kill_at = time.monotonic()
            os.killpg(group, signal.SIGKILL)  # the gunicorn master and its workers at once
            kill_done = time.monotonic()
            control("kill", "web1")  # waits until the group is gone; forgets its pid
            time.sleep(duration * 2 / 3)
        hits = list(crowd.hits)
    finally:
        if unprotected:
            config.write_text(original)
            os.kill(master, signal.SIGHUP)
        control("start", "web1")
    in_flight = [h for h in hits if h.started <= kill_done and h.ended >= kill_at]
    failed = [h for h in hits if h.status != 200]
    failed_outside = [h for h in failed if h not in in_flight]
    before = [h for h in hits if h.ended < kill_at]
    after = [h for h in hits if h.started > kill_done]
    r.figure("readers (threads, one connection each)", people)
    r.figure("requests", len(hits))
    r.figure("answered 200", len(hits) - len(failed))
    r.figure("in flight at the kill -9", len(in_flight))
    r.figure("failed among those in flight", len([h for h in failed if h in in_flight]))
    r.figure("failed, not in flight", len(failed_outside))
    if before and after:
        r.figure(
            "requests/s before the kill (2 servers)", len(before) / (kill_at - hits[0].started)
        )
        r.figure(
            "requests/s after the kill (1 server)",
            len(after) / max(0.1, max(h.ended for h in after) - kill_done),
        )
    r.check("requests were in flight at the kill", len(in_flight) > 0)
    r.check("every request not in flight at the kill succeeded", not failed_outside)
    r.check("requests after the kill were answered", len(after) > 0)


SCENARIOS = {
    "web-kill": ("A web server killed under load", web_kill),
    "redis-outage": ("Redis stopped while listings are published and digests sent", redis_outage),
    "worker-kill": ("A matching worker killed in the middle of a full rebuild", worker_kill),
    "postgres-restart": ("PostgreSQL restarted during a digest run", postgres_restart),
    "two-beats": ("Two beat schedulers started by mistake", two_beats),
}
