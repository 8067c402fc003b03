"""A user's own data: everything held about them as JSON, and deleting their account."""

from allauth.account.models import EmailAddress
from django.db import transaction

from clusters.importer import listing_record
from clusters.models import Invitation, Listing, Membership
from outbox.models import Email


def export_user_data(user) -> dict:
    """Everything held about the user and their organisations, as plain data."""
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    organisations = []
    for membership in memberships:
        org = membership.organisation
        listings = (
            Listing.objects.filter(organisation=org)
            .prefetch_related("themes", "clusters")
            .select_related("challenge", "organisation")
            .order_by("ref")
        )
        organisations.append(
            {
                "ref": org.ref,
                "name": org.name,
                "kind": org.kind,
                "your_role": membership.role,
                "joined": membership.created_at,
                "description": org.description,
                "website": org.website,
                "size": org.size,
                "location": org.location,
                "status": org.status,
                "clusters": sorted(c.slug for c in org.clusters.all()),
                "members": [
                    {"name": m.user.name, "email": m.user.email, "role": m.role}
                    for m in org.memberships.select_related("user")
                ],
                "listings": [
                    {
                        **listing_record(x),
                        "partner_kind": x.partner_kind,
                        "expires_on": x.expires_on,
                        "created": x.created_at,
                        "updated": x.updated_at,
                    }
                    for x in listings
                ],
            }
        )
    return {
        "format": "cluster-exchange-personal-data/1",
        "account": {
            "name": user.name,
            "email": user.email,
            "joined": user.date_joined,
            "last_sign_in": user.last_login,
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user)
            ],
            "privacy_consents": [
                {"version": c.version, "accepted_at": c.accepted_at}
                for c in user.privacy_consents.all()
            ],
        },
        "join_requests": [
            {
                "organisation": r.organisation.name,
                "status": r.status,
                "message": r.message,
                "sent": r.created_at,
            }
            for r in user.join_requests.select_related("organisation")
        ],
        "organisations": organisations,
    }


@transaction.atomic
def delete_account(user) -> None:
    """Delete the user and their personal data.

    An organisation with other members stays (if the user was its only admin, its longest
    standing member becomes admin); one the user was alone in is deleted with its listings.
    """
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        org = membership.organisation
        others = org.memberships.exclude(user=user).order_by("created_at")
        if not others.exists():
            org.delete()
            continue
        if membership.is_admin and not others.filter(role=Membership.Role.ADMIN).exists():
            successor = others.first()
            successor.role = Membership.Role.ADMIN
            successor.save(update_fields=["role", "updated_at"])
    Listing.objects.filter(created_by=user).update(created_by=None)
    Email.objects.filter(to__iexact=user.email).delete()
    Invitation.objects.filter(email__iexact=user.email).delete()
    user.delete()
