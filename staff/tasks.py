"""Scheduled jobs of the staff area: the retention of old enquiries."""

from celery import shared_task

from . import services


# Daily, by beat. Running it twice, or two at once, is harmless: each enquiry is locked while
# it is anonymised, and an anonymised one carries a history row that keeps it out of the next
# run's selection.
@shared_task(acks_late=True)
def anonymise_expired_enquiries_task() -> int:
    return services.anonymise_expired_enquiries()
