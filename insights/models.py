"""The mission's figures, computed from the records by a Celery task, never on page load.

A `Computation` is one run of the task; the pages read the newest finished one and say when
it was computed. Its `Figure` rows are numbers in a long format: one measure, for one month
(or as things stood when it ran), for a cluster, a theme and a challenge, where None means
"all of them". So "offers published in Humber, CCUS, March 2027" is one row, and so is
"introductions accepted, everywhere, ever".
"""

from django.db import models
from django.db.models import Q

from clusters.models import Challenge, Cluster, Theme


class Measure(models.TextChoices):
    # Counted by month (month = the first day of the month it happened in) and in all
    # (month = None).
    OFFERS_PUBLISHED = "offers_published", "Offers published"
    NEEDS_PUBLISHED = "needs_published", "Needs published"
    MATCHES_SUGGESTED = "matches_suggested", "Matches suggested"
    MARKED_INTERESTED = "marked_interested", "Matches marked interested"
    INTRODUCTIONS_ASKED = "introductions_asked", "Introductions asked for"
    INTRODUCTIONS_ACCEPTED = "introductions_accepted", "Introductions accepted"
    OUTCOMES_REPORTED = "outcomes_reported", "Introductions with an outcome reported"
    # The best outcome reported for an introduction, one measure per answer
    # (introductions.models.Outcome.Result).
    OUTCOME_TALKING = "outcome_talking", "Outcome: talking"
    OUTCOME_TRIAL = "outcome_trial", "Outcome: a trial or pilot"
    OUTCOME_CONTRACT = "outcome_contract", "Outcome: a contract"
    OUTCOME_BID_SUBMITTED = "outcome_bid_submitted", "Outcome: a joint bid submitted"
    OUTCOME_BID_WON = "outcome_bid_won", "Outcome: a joint bid won"
    OUTCOME_NOTHING = "outcome_nothing", "Outcome: nothing came of it"
    # As things stood when the task ran (month = None only).
    CHALLENGES_OPEN = "challenges_open", "Open challenges"
    NEEDS_OPEN = "needs_open", "Needs published and open"
    NEEDS_WITH_STRONG_MATCH = "needs_with_strong_match", "Needs with at least one strong match"
    NEEDS_WITHOUT_MATCH = "needs_without_match", "Needs with no strong match"


class ComputationQuerySet(models.QuerySet):
    def latest_done(self):
        """The newest finished computation, or None: what every page reads. Newest by when it
        started (what it counted from), so a slow older run that ends last does not win."""
        return self.filter(state=Computation.State.DONE).order_by("-started_at", "-pk").first()


class Computation(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # Lists that are not numbers, for the gap analysis (unmet needs with their best partial
    # matches, challenges with no offers after 60 days, ...): written by the task, read as is.
    details = models.JSONField(default=dict, blank=True)

    objects = ComputationQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["state", "finished_at"], name="computation_done")]

    def __str__(self):
        return f"Insights computed {self.finished_at or self.started_at:%Y-%m-%d %H:%M}"


class Figure(models.Model):
    computation = models.ForeignKey(Computation, on_delete=models.CASCADE, related_name="figures")
    measure = models.CharField(max_length=40, choices=Measure.choices)
    # The first day of the month; None: in all, or as things stood when it ran.
    month = models.DateField(null=True, blank=True)
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, null=True, blank=True)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, null=True, blank=True)
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, null=True, blank=True)
    value = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["computation", "cluster", "theme", "challenge", "measure", "month"],
                name="figure_lookup",
            ),
            models.Index(fields=["computation", "challenge"], name="figure_challenge"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(challenge__isnull=True) | Q(theme__isnull=True),
                name="figure_challenge_or_theme",
            ),
        ]

    def __str__(self):
        return f"{self.measure} {self.month or 'all'} = {self.value}"
