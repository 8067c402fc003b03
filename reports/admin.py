"""The staff queue of reports: read-only pages, and decisions made by actions that call the
services (reports/services.py). Status is never edited by hand, by anyone."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from clusters.forms import ReasonForm
from config.admin import back_from_decision

from . import services
from .models import Report


class QueueFilter(admin.SimpleListFilter):
    """Open reports unless asked otherwise: the queue is what waits for a decision."""

    title = "status"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            *((value, label) for value, label in Report.Status.choices),
            ("closed", "Closed (any decision)"),
            ("all", "All"),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Open or referred",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.open()
        if value == "all":
            return queryset
        if value == "closed":
            return queryset.exclude(status__in=Report.OPEN_STATUSES)
        return queryset.filter(status=value)


# The decisions (action name -> title and service) live in services, shared with the staff
# API (staff/api/moderation.py).
DECISIONS = services.DECISIONS
APPLIES_TO = {
    "dismiss": {Report.Kind.LISTING, Report.Kind.ORGANISATION},
    "take_down": {Report.Kind.LISTING},
    "refer": {Report.Kind.ORGANISATION},
    "resolve": {Report.Kind.LISTING, Report.Kind.ORGANISATION},
}
HELP = {
    "dismiss": "Why no action is needed. Kept with the reports; not sent to anyone.",
    "take_down": "This is sent to the listing’s organisation, as when a listing is taken "
    "down from its own page.",
    "refer": "What the programme admin should look at. Kept with the reports.",
    "resolve": "What was done, for example “Rejected the organisation” or “Asked them to "
    "change their description”. Kept with the reports.",
}


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "kind", "reported", "reason", "status"]
    list_display_links = ["id", "created_at"]
    list_filter = [QueueFilter, "reason", "kind"]
    list_select_related = ["listing", "organisation"]
    search_fields = [
        "details",
        "email",
        "listing__ref",
        "listing__title",
        "organisation__ref",
        "organisation__name",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "reported", "reason", "details", "reported_by", "created_at"]}),
        ("Decision", {"fields": ["status", "others_open", "referral", "decision"]}),
    ]
    readonly_fields = [
        "kind",
        "reported",
        "reason",
        "details",
        "reported_by",
        "created_at",
        "status",
        "others_open",
        "referral",
        "decision",
    ]
    actions = list(DECISIONS)

    # Nobody adds or edits a report: visitors make them, the actions decide them.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Reports are the record of what visitors told us and what staff decided: never deleted
    # here (deleting a listing or an organisation that has reports is refused too; take it
    # down instead).
    def has_delete_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request):
        return request.user.has_perm("reports.moderate_report")

    def has_take_down_permission(self, request):
        return request.user.has_perm("reports.moderate_report") and request.user.has_perm(
            "clusters.moderate_listing"
        )

    def has_resolve_permission(self, request):
        return request.user.has_perm("reports.resolve_report")

    @admin.display(description="reported")
    def reported(self, obj):
        target = obj.target
        label = "Listing" if obj.kind == Report.Kind.LISTING else "Organisation"
        admin_url = reverse(f"admin:clusters_{target._meta.model_name}_change", args=[target.pk])
        return format_html(
            '{}: <a href="{}">{}</a> ({}, {})',
            label,
            admin_url,
            target,
            target.ref,
            target.get_status_display(),
        )

    @admin.display(description="reported by")
    def reported_by(self, obj):
        if obj.reporter_id:
            return f"{obj.reporter} (signed in)"
        return obj.email or "Not signed in, no email address given"

    @admin.display(description="open reports on the same listing or organisation")
    def others_open(self, obj):
        return Report.objects.open().about(obj.target).count()

    @admin.display(description="referred")
    def referral(self, obj):
        if obj.referred_at is None:
            return "Not referred"
        return f"By {obj.referred_by} on {obj.referred_at:%d %b %Y %H:%M}: {obj.referral_reason}"

    @admin.display(description="decided")
    def decision(self, obj):
        if obj.decided_at is None:
            return "Not decided yet"
        return f"By {obj.decided_by} on {obj.decided_at:%d %b %Y %H:%M}: {obj.decision_reason}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The report, with a button for each decision this person may make on it."""
        report = self.get_object(request, object_id)
        decisions = []
        if report is not None and report.is_open:
            allowed = self.get_actions(request)
            decisions = [
                (name, DECISIONS[name][0])
                for name in DECISIONS
                if name in allowed
                and report.kind in APPLIES_TO[name]
                and not (name == "refer" and report.status == Report.Status.REFERRED)
                and (name != "dismiss" or services.may_dismiss(report, request.user))
            ]
        return super().change_view(
            request, object_id, form_url, {"decisions": decisions, **(extra_context or {})}
        )

    def _decide(self, request, queryset, name):
        """Ask for the reason on a second page, then decide each selected report (and so
        every open report on the same object)."""
        title, service = DECISIONS[name]
        back = back_from_decision(self, request, queryset)
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            form.fields["reason"].help_text = HELP[name]
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                closed = skipped = 0
                for report in queryset.select_related("listing", "organisation"):
                    if report.kind not in APPLIES_TO[name]:
                        skipped += 1
                        continue
                    done = service(report, request.user, reason)
                    if not done:
                        skipped += 1
                        continue
                    closed += done
                    message = f"{title}: {reason}"
                    self.log_change(request, report, message)
                    self.log_change(request, report.target, f"Report {report.pk}. {message}")
                text = f"{title}: {closed} report{'' if closed == 1 else 's'} decided."
                if skipped:
                    text += f" {skipped} left as they were: already decided, not of a kind "
                    text += "this applies to, or referred to a programme admin, who decides."
                self.message_user(request, text, messages.SUCCESS)
                return HttpResponseRedirect(back) if back else None
        else:
            form = ReasonForm()
            form.fields["reason"].help_text = HELP[name]
        return render(
            request,
            "admin/action_with_reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                # (the record, what the page shows of it, no version): see clusters.admin
                "items": [(report, str(report), None) for report in queryset],
                "form": form,
                "action": request.POST["action"],
                "opts": self.model._meta,
                "back": back,
            },
        )

    @admin.action(
        permissions=["moderate"],
        description="Dismiss the selected reports (no action needed), with a reason",
    )
    def dismiss(self, request, queryset):
        return self._decide(request, queryset, "dismiss")

    @admin.action(
        permissions=["take_down"],
        description="Take the reported listings down, with a reason (closes their reports)",
    )
    def take_down(self, request, queryset):
        return self._decide(request, queryset, "take_down")

    @admin.action(
        permissions=["moderate"],
        description="Refer the selected reports of organisations to a programme admin",
    )
    def refer(self, request, queryset):
        return self._decide(request, queryset, "refer")

    @admin.action(
        permissions=["resolve"],
        description="Resolve the selected reports (dealt with), saying what was done",
    )
    def resolve(self, request, queryset):
        return self._decide(request, queryset, "resolve")
