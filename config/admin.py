"""Admin pieces every app shares (as config.celery holds the shared `enqueue`)."""


class OfferedFiltersOnly:
    """Only the filters a list offers in its sidebar may be typed into its address.

    Django's admin lets anyone who can see a list filter it by any field from the address
    bar (`?sealed__icontains=ab`). On a model that holds a secret, that is an oracle: a
    secret can be guessed a character at a time by counting the rows found. Name the
    fields that may be filtered in `filter_fields`.
    """

    filter_fields: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        return lookup.split("__")[0] in self.filter_fields and super().lookup_allowed(
            lookup, value, request
        )


class ReadOnlyInline:
    """An inline that shows rows and never adds, changes or deletes one, for every staff role,
    superusers included: those rows change only through the site's services (with their
    emails and records). Mix in before admin.TabularInline or admin.StackedInline."""

    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
