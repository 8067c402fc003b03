"""Bump the generation whenever public content is saved or deleted, however it is changed.

The house style keeps business logic out of signals; this is not business logic but cache
bookkeeping, and it is here because a signal is the one place that sees every save: the
services, the admin's change forms and actions, the expiry task, `loaddata` and a shell
session alike. A service that forgot to bump would serve stale pages; a receiver cannot be
forgotten. What signals do not see (queryset.update(), bulk_create(), bulk_update() and raw
SQL) bumps by hand: `clusters.importer.import_exchange` is the one such writer of public
content today (tests/pagecache/ checks it). Saves of these models are rare (people
publishing, staff deciding, joining an organisation, confirming an address, signing up), so
bumping on every one costs nothing that matters; signing in, which saves the account's
last_login every time, does not bump (_user_changed).
"""

from django.apps import apps
from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from . import services

# What the cached pages (decorators.cache_public_page) show: listings with their
# organisation, themes, clusters and challenge; challenges with their cluster and themes;
# clusters with their counts. A model added to a cached page must be added here.
PUBLIC_MODELS = [
    "clusters.Theme",
    "clusters.Cluster",
    "clusters.Challenge",
    "clusters.Organisation",
    "clusters.Listing",
    # Whether anyone at a listing's organisation could answer a request for an introduction
    # (introductions.services.answerers: a member with an active account and a confirmed
    # address), which a listing's page says signed out too. Users: see _user_changed.
    "clusters.Membership",
    "account.EmailAddress",
]


def _changed(sender, **kwargs):
    services.bump()


def _links_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        services.bump()


def _user_changed(sender, update_fields=None, **kwargs):
    # An account turned off, or its address changed, can change who could answer; signing in
    # (which saves last_login alone, every time) cannot.
    if update_fields is None or {"is_active", "email"} & set(update_fields):
        services.bump()


def _migrated(sender, **kwargs):
    # A data migration may change content without a signal: start afresh after any migrate.
    if sender.name == "pagecache":
        services.bump()


def connect() -> None:
    for label in PUBLIC_MODELS:
        model = apps.get_model(label)
        uid = f"pagecache:{label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _links_changed, sender=field.remote_field.through, dispatch_uid=f"{uid}:{field}"
            )
    user = apps.get_model(settings.AUTH_USER_MODEL)
    post_save.connect(_user_changed, sender=user, dispatch_uid="pagecache:user:save")
    post_delete.connect(_changed, sender=user, dispatch_uid="pagecache:user:delete")
    post_migrate.connect(_migrated, dispatch_uid="pagecache:migrate")
