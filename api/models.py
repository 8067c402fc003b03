"""Personal API tokens, and tombstones of records that left a list (for mirroring)."""

from django.conf import settings
from django.db import models


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal token: a person's own access to the API, named, scoped and revocable.

    Only a SHA-256 digest of the secret is kept. The secret is 32 random bytes, so a fast hash
    is enough (nobody can guess it to try a hash against), and a lookup is one indexed query.
    The prefix ("cx_" and the first characters) is kept to tell tokens apart in lists.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        permissions = [("revoke_apitoken", "Can revoke any API token")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=["read", "write"]), name="apitoken_scope_valid"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class Removal(models.Model):
    """A record that left a list a partner may mirror: deleted, withdrawn, closed...

    `resource` names the list ("listing", "challenge", ...), `key` the record's public
    reference. `organisation_id` is set for records only that organisation's members may see
    (so their removals are shown to them alone). A plain number, not a foreign key: this app
    depends on no domain app, and a tombstone outlives its organisation.
    """

    resource = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    organisation_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=40, blank=True)
    removed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["removed_at", "id"]
        indexes = [models.Index(fields=["resource", "removed_at"], name="removal_resource_time")]

    def __str__(self):
        return f"{self.resource} {self.key} removed ({self.reason or 'no reason'})"
