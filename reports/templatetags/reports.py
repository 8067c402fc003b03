"""`{{ object|report_url }}`: the "Report this ..." page of a listing or an organisation."""

from django import template

from clusters.models import Listing
from reports.models import report_url as _report_url

register = template.Library()


@register.filter
def report_url(target) -> str:
    return _report_url(target)


@register.filter
def report_noun(target) -> str:
    return "listing" if isinstance(target, Listing) else "organisation"
