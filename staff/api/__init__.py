"""The staff API: enquiries and the moderation queues, by role (staff/roles.py).

One module per part (enquiries.py, moderation.py); config/api.py registers these.
"""

from .enquiries import StaffEnquiryViewSet
from .moderation import (
    ListingReviewQueueViewSet,
    OrganisationChangeQueueViewSet,
    OrganisationQueueViewSet,
    ReportQueueViewSet,
    TeamRequestQueueViewSet,
)

__all__ = [
    "ListingReviewQueueViewSet",
    "OrganisationChangeQueueViewSet",
    "OrganisationQueueViewSet",
    "ReportQueueViewSet",
    "StaffEnquiryViewSet",
    "TeamRequestQueueViewSet",
]
