"""Staff triage of enquiries: the list, the thread with replies and notes, and bulk actions."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Substr
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.text import capfirst
from django.utils.timesince import timesince

from . import services
from .models import MESSAGE_MAX, Attachment, Enquiry, EnquiryEvent, Message

REPLY_FIELDSET = "Reply or add a note"
# The bulk actions' warnings name this many enquiries by reference, then count the rest.
NAMED_AT_MOST = 5
# Characters of the first message shown in the list ("What they wrote").
FIRST_WORDS = 90


def _enquiries(number: int) -> str:
    return f"{number} enquiry" if number == 1 else f"{number} enquiries"


def _was(number: int) -> str:
    return "was" if number == 1 else "were"


def _listed(words: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]]))


def _change_message(events) -> list:
    """The admin history's message for a service's history rows ("Changed Status and
    Assignee."), in the structure Django's own saves write."""
    fields = dict.fromkeys(
        capfirst(Enquiry._meta.get_field(event.field).verbose_name) for event in events
    )
    return [{"changed": {"fields": list(fields)}}]


class AssignedToMeFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Not assigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.assigned_to(request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


class EnquiryAdminForm(forms.ModelForm):
    reply = forms.CharField(
        label="Reply to the sender",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="Emailed to the sender when you save, from the programme address and with "
        "the reference number in the subject. It is added to the thread.",
    )
    note = forms.CharField(
        label="Internal note",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Only staff can see notes. They are never emailed.",
    )

    class Meta:
        model = Enquiry
        fields = ["status", "priority", "assignee", "cluster", "topic"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Triage picks a cluster and a person; it never adds, changes or deletes clusters or
        # accounts from here (the pencil, plus and cross beside them: newcomer probe).
        for name in ("cluster", "assignee"):
            widget = self.fields[name].widget if name in self.fields else None
            for flag in ("can_add_related", "can_change_related", "can_delete_related"):
                if hasattr(widget, flag):
                    setattr(widget, flag, False)
        if "assignee" in self.fields:
            # Only staff who can open and answer enquiries (as the API's check): a moderator
            # offered here was given enquiries they could not open (newcomer probe).
            # The person it is given to now stays offered even if their role changed since,
            # so that saving another field does not clear it unseen (review).
            current = self.instance.assignee_id if self.instance else None
            self.fields["assignee"].queryset = services.triagers(keep=current)

    def clean(self):
        """One rule with the staff API and the bulk action (services.status_with_assignee):
        giving a new or triaged enquiry to someone makes it "assigned"; choosing "new" or
        "triaged" for an enquiry someone has, in the same save, is an error to fix."""
        data = super().clean()
        self.status_settled = None  # the status the rule gave it, when not the one shown
        if "status" in data and "assignee" in data:
            try:
                settled = services.status_with_assignee(
                    data["status"], data["assignee"], status_chosen="status" in self.changed_data
                )
            except services.EnquiryAssigned as refused:
                self.add_error("status", str(refused))
            else:
                if settled != data["status"]:
                    self.status_settled = settled
                data["status"] = settled
        return data


@admin.register(Enquiry)
class EnquiryAdmin(admin.ModelAdmin):
    form = EnquiryAdminForm
    change_form_template = "admin/enquiries/enquiry/change_form.html"
    change_list_template = "admin/enquiries/enquiry/change_list.html"
    list_display = [
        "reference",
        "about",
        "first_words",
        "name",
        "organisation",
        "status",
        "priority",
        "cluster",
        "assignee",
        "age",
    ]
    list_filter = ["status", "priority", "topic", "cluster", AssignedToMeFilter, "assignee"]
    list_select_related = ["cluster", "assignee"]
    search_fields = ["reference", "name", "email", "organisation", "subject", "messages__body"]
    ordering = ["-created_at"]
    list_per_page = 50
    readonly_fields = [
        "reference",
        "name",
        "email",
        "organisation",
        "organisation_kind",
        "subject",
        "source",
        "may_contact",
        "created_at",
        "first_replied_at",
    ]
    fieldsets = [
        (
            "Sender",
            {
                "fields": [
                    "reference",
                    "name",
                    "email",
                    "organisation",
                    "organisation_kind",
                    "may_contact",
                ]
            },
        ),
        (
            "Enquiry",
            {"fields": ["subject", "source", "created_at", "first_replied_at"]},
        ),
        ("Triage", {"fields": ["status", "priority", "assignee", "cluster", "topic"]}),
        (REPLY_FIELDSET, {"fields": ["reply", "note"]}),
    ]
    actions = [
        "assign_to_me",
        "set_likely_cluster",
        "mark_triaged",
        "mark_waiting",
        "mark_closed",
        "mark_spam",
        "export_csv",
    ]

    @admin.display(description="May be contacted about related projects and events")
    def may_contact(self, obj):
        # In words: Django's icon read "False" to a screen reader (newcomer probe, stop 31).
        return "Yes" if obj.consent_to_contact else "No"

    @admin.display(description="About")
    def about(self, obj):
        return obj.title

    @admin.display(description="Age", ordering="-created_at")
    def age(self, obj):
        return timesince(obj.created_at, timezone.now(), depth=1)

    def has_add_permission(self, request):
        # Enquiries come from the web form or the mailbox import, never typed in by staff.
        return False

    # The list ---------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            Enquiry.objects.order_by().values_list("status").annotate(n=Count("pk")).order_by()
        )
        status_counts = [
            (value, label, counts.get(value, 0)) for value, label in Enquiry.Status.choices
        ]
        return super().changelist_view(
            request, {**(extra_context or {}), "status_counts": status_counts}
        )

    # The change page --------------------------------------------------------------------

    def get_queryset(self, request):
        # The start of what the sender wrote, in the list's one query: a triager with 300
        # enquiries had only the topic to go on, and opened each one (newcomer probe, stop 30).
        # The first saved, not the earliest dated: an email's date is the sender's (a reply
        # imported later, dated in the past, was shown instead: re-probe, stop 30).
        first = Message.objects.filter(
            enquiry=OuterRef("pk"), direction=Message.Direction.INBOUND
        ).order_by("pk")
        return (
            super()
            .get_queryset(request)
            .select_related("cluster", "assignee")
            .annotate(opening=Substr(Subquery(first.values("body")[:1]), 1, FIRST_WORDS + 1))
        )

    @admin.display(description="What they wrote")
    def first_words(self, obj):
        opening = getattr(obj, "opening", None) or ""  # FIRST_WORDS + 1 characters at most
        text = " ".join(opening[:FIRST_WORDS].split())
        return f"{text}…" if len(opening) > FIRST_WORDS else text

    def change_view(self, request, object_id, form_url="", extra_context=None):
        enquiry = self.get_object(request, object_id)
        extra = {"reply_fieldset": REPLY_FIELDSET}
        if enquiry is not None:
            extra.update(
                thread=Message.objects.filter(enquiry=enquiry)
                .select_related("author")
                .prefetch_related(Prefetch("attachments", Attachment.objects.order_by("pk"))),
                events=EnquiryEvent.objects.filter(enquiry=enquiry).select_related("actor"),
                # Worked out only if the page is shown (not for a save that redirects).
                knowledge=SimpleLazyObject(lambda: services.what_we_know(enquiry)),
            )
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        services.save_enquiry(obj, request.user)
        if getattr(form, "status_settled", None):
            # Not the status the page showed: say so (review, stop 30).
            label = Enquiry.Status(form.status_settled).label
            why = "it has an assignee" if obj.assignee_id else "nobody has it now"
            self.message_user(request, f"Its status is now “{label}”, as {why}.")
        note = form.cleaned_data.get("note", "").strip()
        reply = form.cleaned_data.get("reply", "").strip()
        if note:
            services.add_note(obj, request.user, note)
        if reply:
            # A status chosen in the same save stands; otherwise a reply waits on the sender
            # (it was changed unseen from the one chosen: newcomer probe). Either way, say so.
            chose = "status" in form.changed_data
            services.send_reply(obj, request.user, reply, wait_on_sender=not chose)
            self.message_user(
                request,
                f"Your reply to {obj.email} is on its way. The enquiry is now "
                f"“{obj.get_status_display()}”" + ("." if chose else ", until they answer."),
            )

    def get_urls(self):
        return [
            path(
                "attachment/<int:pk>/",
                self.admin_site.admin_view(self.download_attachment),
                name="enquiries_attachment_download",
            ),
            *super().get_urls(),
        ]

    def download_attachment(self, request, pk):
        """Staff only: attachments are never served from a public URL."""
        if not self.has_view_permission(request):
            raise Http404
        attachment = get_object_or_404(Attachment, pk=pk)
        response = FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
        )
        response["Content-Type"] = "application/octet-stream"
        return response

    # Bulk actions -----------------------------------------------------------------------
    # Each counts what the services changed (they answer the history rows they wrote), never
    # the selection afterwards: the list's filter, say "status: new", no longer holds the rows
    # just changed, so counting it again said "0 enquiries" (outside probe).

    def _apply(self, request, queryset, service):
        """Call `service(enquiry)` on each selected enquiry; answer the enquiries it changed,
        how many it left as they were (it wrote no history for them) and how many it refused
        (services.EnquiryAssigned). Each change is also logged in the admin's own history
        (its "History" page), which otherwise lists only the changes saved on the page."""
        changed, unchanged, refused = [], 0, 0
        for enquiry in queryset.select_related("assignee"):
            try:
                with transaction.atomic():
                    events = service(enquiry)
                    if events:
                        self.log_change(request, enquiry, _change_message(events))
            except services.EnquiryAssigned:
                refused += 1
                continue
            if events:
                changed.append(enquiry)
            else:
                unchanged += 1
        return changed, unchanged, refused

    def _set_status(self, request, queryset, status, service=None):
        service = service or (
            lambda enquiry: services.change_enquiry(enquiry, request.user, status=status)
        )
        changed, unchanged, refused = self._apply(request, queryset, service)
        label = Enquiry.Status(status).label.lower()
        text = f"{_enquiries(len(changed))} marked as {label}."
        if unchanged:
            text += f" {_enquiries(unchanged)} {_was(unchanged)} already {label}."
        if refused:
            text += (
                f" {_enquiries(refused)} left as {'it was' if refused == 1 else 'they were'}:"
                f" {'it is' if refused == 1 else 'they are'} assigned to someone (you,"
                " perhaps), who keeps it. To mark one as triaged, clear its assignee on its"
                " page first."
            )
        self.message_user(request, text, messages.WARNING if refused else messages.SUCCESS)
        return changed

    def _warn_of_no_reply(self, request, enquiries, then: str = ""):
        """Closing or marking as spam ends the enquiry, and "waiting on the sender" waits for
        an answer to a question: say if its sender never had a reply, which a bulk action
        otherwise hides (usability probe)."""
        silent = sorted(e.reference for e in enquiries if e.first_replied_at is None)
        if not silent:
            return
        if len(silent) > NAMED_AT_MOST:
            shown = ", ".join(silent[:NAMED_AT_MOST])
            which = f"{len(silent)} of them: {shown} and {len(silent) - NAMED_AT_MOST} more"
        else:
            which = _listed(silent)
        self.message_user(
            request, f"No reply was sent to the sender of {which}.{then}", messages.WARNING
        )

    @admin.action(permissions=["change"], description="Assign the selected enquiries to me")
    def assign_to_me(self, request, queryset):
        changed, unchanged, _ = self._apply(
            request, queryset, lambda enquiry: services.assign_to(enquiry, request.user)
        )
        text = f"{_enquiries(len(changed))} assigned to you."
        if unchanged:
            text += f" {_enquiries(unchanged)} {_was(unchanged)} already yours."
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(
        permissions=["change"],
        description="Give the selected enquiries with no cluster their likely cluster",
    )
    def set_likely_cluster(self, request, queryset):
        changed, unchanged, _ = self._apply(
            request, queryset, lambda enquiry: services.set_likely_cluster(enquiry, request.user)
        )
        text = f"{_enquiries(len(changed))} given their likely cluster."
        if unchanged:
            text += (
                f" {_enquiries(unchanged)} left as {'it was' if unchanged == 1 else 'they were'}:"
                " a cluster already, or no single likely one (see each enquiry's page)."
            )
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(permissions=["change"], description="Mark the selected enquiries as triaged")
    def mark_triaged(self, request, queryset):
        self._set_status(
            request,
            queryset,
            Enquiry.Status.TRIAGED,
            lambda enquiry: services.mark_triaged(enquiry, request.user),
        )

    @admin.action(
        permissions=["change"], description="Mark the selected enquiries as waiting on the sender"
    )
    def mark_waiting(self, request, queryset):
        waiting = self._set_status(request, queryset, Enquiry.Status.WAITING)
        # Waiting on a sender nobody has written to (newcomer probe, stop 31).
        self._warn_of_no_reply(request, waiting, then=" Reply to ask them what you need.")

    @admin.action(permissions=["change"], description="Close the selected enquiries")
    def mark_closed(self, request, queryset):
        closed = self._set_status(request, queryset, Enquiry.Status.CLOSED)
        self._warn_of_no_reply(request, closed)

    @admin.action(permissions=["change"], description="Mark the selected enquiries as spam")
    def mark_spam(self, request, queryset):
        spam = self._set_status(request, queryset, Enquiry.Status.SPAM)
        self._warn_of_no_reply(request, spam)

    @admin.action(description="Export the selected enquiries to a spreadsheet (CSV)")
    def export_csv(self, request, queryset):
        filename = f"enquiries-{timezone.localdate():%Y-%m-%d}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # A byte order mark, so that Excel reads the names as UTF-8.
        response.write("\ufeff")
        services.write_csv(queryset.select_related("cluster", "assignee"), response)
        return response


@admin.register(EnquiryEvent)
class EnquiryEventAdmin(admin.ModelAdmin):
    """The history, read-only for everyone: it is only ever written by the services."""

    list_display = ["created_at", "enquiry", "field", "old", "new", "actor"]
    list_filter = ["field"]
    list_select_related = ["enquiry", "actor"]
    search_fields = ["enquiry__reference"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
