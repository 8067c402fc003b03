"""Admin widgets with names for assistive technology, where Django's have none."""

from django.contrib.admin.widgets import AdminSplitDateTime


class LabelledSplitDateTime(AdminSplitDateTime):
    """Django's date and time boxes, each named "Date" or "Time".

    The admin puts them in a fieldset whose legend is the field's label, but the words
    "Date:" and "Time:" beside the boxes are plain text, not labels: axe-core's "label" rule
    (critical) fails, and a screen reader announces two unnamed boxes.
    """

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        date, time = context["widget"]["subwidgets"]
        date["attrs"]["aria-label"] = str(context["date_label"]).rstrip(":")
        time["attrs"]["aria-label"] = str(context["time_label"]).rstrip(":")
        return context
