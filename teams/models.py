"""Cluster teams (people of a cluster's own body, approved by staff for one cluster) and the
offers they shortlist for their challenges."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from clusters.models import Challenge, Cluster, Listing


class ClusterTeamMemberQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=ClusterTeamMember.Status.APPROVED)

    def pending(self):
        return self.filter(status=ClusterTeamMember.Status.PENDING)

    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class ClusterTeamMember(models.Model):
    """A person's place in one cluster's team. Staff decide, in the admin, through actions."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for our team"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"
        REMOVED = "removed", "Removed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cluster_teams"
    )
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="team_members")
    # The cluster body they work for: shown publicly as who set a challenge.
    body = models.CharField("cluster body", max_length=200)
    message = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why staff decided as they did (sent to the person).
    reason = models.TextField(blank=True)

    objects = ClusterTeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = "cluster team member"
        ordering = ["-requested_at"]
        constraints = [
            # Asking twice, or again once approved, makes no second row.
            models.UniqueConstraint(
                fields=["user", "cluster"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_live_team_place_per_cluster",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "removed"]),
                name="team_member_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="team_member_status")]
        # Approving, rejecting and removing go through the admin actions, which need this.
        permissions = [("decide_clusterteammember", "Can decide cluster team requests")]

    def __str__(self):
        return f"{self.user} in the {self.cluster} team ({self.get_status_display().lower()})"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class Shortlist(models.Model):
    """An offer a cluster team keeps in view for one of its challenges."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="shortlist")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "listing"], name="shortlisted_once")
        ]

    def __str__(self):
        return f"{self.listing} for {self.challenge}"
