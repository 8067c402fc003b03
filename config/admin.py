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


# A decision started from an object's own page ("Decide", templates/admin/_decisions.html)
# goes back to that page, on "Cancel" and once made; from the list, back to the list. The
# reason page's "Cancel" reloaded the list, and the decision ended there too (newcomer probe,
# stop 30).
FROM_OBJECT = "_from_object"


def back_from_decision(modeladmin, request, queryset) -> str | None:
    """The address of the object's own page when the decision was started there (one object,
    and the form says so), else None (back to the list, as the admin does)."""
    if request.POST.get(FROM_OBJECT) != "1":
        return None
    objects = list(queryset[:2])
    if len(objects) != 1:
        return None
    from django.urls import reverse

    opts = modeladmin.model._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[objects[0].pk],
        current_app=modeladmin.admin_site.name,
    )
