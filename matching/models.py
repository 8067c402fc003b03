"""Match records, the fitted models they came from, and the matcher's to-do list."""

from django.db import models
from django.db.models import Q

from clusters.models import Challenge, Listing


class MatchModel(models.Model):
    """A fitted vocabulary (engine.Model), saved so one listing is scored without refitting.

    Kept in the database (in parts), not on a disk, so that workers on other machines can
    read it with nothing shared but the database.
    """

    version = models.CharField(max_length=100, unique=True)
    size = models.PositiveBigIntegerField(default=0)
    doc_count = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField()
    is_current = models.BooleanField(default=False)
    # engine.Model.digest() of what was saved: a refit with the same digest is not saved again.
    digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-fitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_model"
            )
        ]

    def __str__(self):
        return self.version


class MatchModelPart(models.Model):
    """One slice of a saved model's bytes (PostgreSQL caps one value at 1 GB)."""

    model = models.ForeignKey(MatchModel, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["model", "index"]
        constraints = [models.UniqueConstraint(fields=["model", "index"], name="model_part_once")]

    def __str__(self):
        return f"{self.model} part {self.index}"


class MatchQuerySet(models.QuerySet):
    def for_listing(self, listing):
        return self.filter(source_key=Match.key_for(listing))

    def visible(self):
        """Suggestions still worth showing: the target is published and not dismissed."""
        return self.filter(target__status=Listing.Status.PUBLISHED).exclude(
            status=Match.Status.DISMISSED
        )


class Match(models.Model):
    """A suggested partner (target offer or need) for a source listing or challenge."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        INTERESTED = "interested", "Interested"
        DISMISSED = "dismissed", "Not relevant"

    # "L<id>" for a listing, "C<id>" for a challenge: one unique key for upserts.
    source_key = models.CharField(max_length=24)
    source_listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, null=True, blank=True, related_name="matches"
    )
    # Indexed by match_source_challenge below, on the few rows that have one.
    source_challenge = models.ForeignKey(
        Challenge,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="matches",
        db_index=False,
    )
    # Indexed by match_target (target, status) below: a second index on target alone would
    # be one more to update for every row a rebuild inserts.
    target = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="matched_by", db_index=False
    )
    score = models.FloatField()
    # 1 = best; empty once it drops out of the top list but is kept for its status.
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list)
    engine_version = models.CharField(max_length=100)
    computed_at = models.DateTimeField()
    first_seen_at = models.DateTimeField(null=True, blank=True)  # set once, when first suggested
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "matches"  # the admin said "Matchs" (newcomer probe)
        ordering = ["source_key", "rank"]
        indexes = [
            models.Index(fields=["source_key", "rank"], name="match_source_rank"),
            models.Index(fields=["target", "status"], name="match_target"),
            # Partial indexes: only the rows they serve, so the many rows a rebuild inserts
            # (new, and mostly from listings) do not update them. The answered rows (read by
            # learning, export and push-down: `exclude(status="new")`) ...
            models.Index(fields=["status"], name="match_status", condition=~Q(status="new")),
            # ... and the rows from challenges (deleting a challenge deletes them).
            models.Index(
                fields=["source_challenge"],
                name="match_source_challenge",
                condition=Q(source_challenge__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "target"], name="match_once_per_pair"),
            models.CheckConstraint(
                condition=(Q(source_listing__isnull=False) & Q(source_challenge__isnull=True))
                | (Q(source_listing__isnull=True) & Q(source_challenge__isnull=False)),
                name="match_has_one_source",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "interested", "dismissed"]),
                name="match_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.source_key} → {self.target_id} ({self.score:.2f})"

    @staticmethod
    def key_for(obj) -> str:
        return f"{'C' if isinstance(obj, Challenge) else 'L'}{obj.pk}"

    @property
    def strength(self) -> str:
        from .engine import strength

        return strength(self.score)


class MatchingWork(models.Model):
    """The matcher's to-do list: the message in Redis is only a nudge to look here.

    A row is written in the same transaction as the change that needs matching, so a
    broker outage delays the work but loses nothing; the sweeper re-sends what is left.
    """

    class Kind(models.TextChoices):
        LISTING = "listing", "One listing"
        CHALLENGE = "challenge", "One challenge"
        REBUILD = "rebuild", "Refit and rebuild everything"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["state", "claimed_at"], name="work_state")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"],
                condition=Q(state="pending"),
                name="one_pending_work_per_object",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "running", "done", "failed"]),
                name="work_state_valid",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id or ''} ({self.state})"


class MatchingRun(models.Model):
    """One run of the matcher, for staff: when, how many, how long, errors."""

    class Kind(models.TextChoices):
        REBUILD = "rebuild", "Full rebuild"
        LISTING = "listing", "One listing"
        CHALLENGE = "challenge", "One challenge"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    model_version = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=100, blank=True)  # the listing or challenge ref
    sources = models.PositiveIntegerField(default=0)
    matches_written = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RebuildChunk(models.Model):
    """One task of a rebuild shared by workers, run once: a slice of the need side (the map
    step, index 0 to chunks_total - 1), or the merge (index chunks_total)."""

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    done = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # the Celery worker that ran it
    # What the map step found for the merge: every offer's best needs among the chunk's
    # (engine.OfferCandidates, a few bytes per offer); emptied once the merge is in.
    candidates = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="chunk_once_per_run")]

    def __str__(self):
        return f"chunk {self.index} of run {self.run_id}"


class LearnedWeightsQuerySet(models.QuerySet):
    def in_use(self):
        """The row the matcher fits with, or None for the defaults."""
        return self.filter(in_use=True).first()


class LearnedWeights(models.Model):
    """One attempt to learn the matcher's signal weights from people's answers.

    Every attempt is kept, adopted or not, so staff can see what the answers favoured and
    why the defaults stayed. At most one row is in use (`in_use`); none means the defaults.
    """

    learned_at = models.DateTimeField()
    answers = models.PositiveIntegerField(default=0)
    organisations = models.PositiveIntegerField(default=0)
    sources = models.PositiveIntegerField(default=0)
    # {"text": 0.7, "topics": ..., "themes": ..., "clusters": ..., "partner": ..., "challenge": ...}
    weights = models.JSONField(null=True, blank=True)  # empty: too few answers to fit
    defaults = models.JSONField(default=dict)
    # nDCG@10 of the answered listings' candidates, ranked by each set of weights fitted
    # without them (matching/learn.py): 1 means everything people liked came first.
    held_out_learned = models.FloatField(null=True, blank=True)
    held_out_default = models.FloatField(null=True, blank=True)
    fold_gains = models.JSONField(default=list)
    adopted = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    in_use = models.BooleanField(default=False)

    objects = LearnedWeightsQuerySet.as_manager()

    class Meta:
        ordering = ["-learned_at"]
        verbose_name = "learned signal weights"
        verbose_name_plural = "learned signal weights"
        constraints = [
            models.UniqueConstraint(
                fields=["in_use"], condition=Q(in_use=True), name="one_weights_in_use"
            ),
            models.CheckConstraint(
                condition=Q(in_use=False) | Q(adopted=True), name="only_adopted_weights_in_use"
            ),
        ]

    def __str__(self):
        state = "in use" if self.in_use else ("adopted" if self.adopted else "not adopted")
        return f"Weights learned {self.learned_at:%Y-%m-%d %H:%M} ({state})"
