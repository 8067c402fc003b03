"""Public pages for clusters, challenges, offers and needs."""

from django.urls import path

from . import member_views, organisation_views, views

app_name = "clusters"
urlpatterns = [
    path("clusters/", views.cluster_list, name="cluster-list"),
    path("clusters/<slug:slug>/", views.cluster_detail, name="cluster-detail"),
    path("challenges/", views.challenge_list, name="challenge-list"),
    path("challenges/<str:ref>/", views.challenge_detail, name="challenge-detail"),
    path("challenges/<str:ref>/offer/", member_views.offer_solution, name="challenge-offer"),
    path("offers/", views.listing_list, {"kind": "offer"}, name="offer-list"),
    path("needs/", views.listing_list, {"kind": "need"}, name="need-list"),
    path("listings/<str:ref>/", views.listing_detail, name="listing-detail"),
    path("organisations/", organisation_views.organisation_list, name="organisation-list"),
    path(
        "organisations/<str:ref>/",
        organisation_views.organisation_public,
        name="organisation-public",
    ),
    path(
        "organisations/<str:ref>/logo/<str:name>",
        organisation_views.organisation_logo,
        name="organisation-logo",
    ),
    # Signed-in members
    path("your-organisation/", member_views.dashboard, name="dashboard"),
    path("your-organisation/start/", member_views.organisation_start, name="organisation-start"),
    path("your-organisation/new/", member_views.organisation_create, name="organisation-create"),
    path("your-organisation/join/", member_views.organisation_join, name="organisation-join"),
    path(
        "your-organisation/<str:ref>/", member_views.organisation_detail, name="organisation-detail"
    ),
    path(
        "your-organisation/<str:ref>/edit/",
        member_views.organisation_edit,
        name="organisation-edit",
    ),
    path(
        "your-organisation/<str:ref>/invite/",
        member_views.organisation_invite,
        name="organisation-invite",
    ),
    path(
        "your-organisation/<str:ref>/invitations/<int:pk>/cancel/",
        member_views.invitation_cancel,
        name="invitation-cancel",
    ),
    path(
        "your-organisation/<str:ref>/members/<int:pk>/remove/",
        member_views.member_remove,
        name="member-remove",
    ),
    path(
        "your-organisation/<str:ref>/members/<int:pk>/role/",
        member_views.member_role,
        name="member-role",
    ),
    path(
        "your-organisation/<str:ref>/leave/",
        member_views.organisation_leave,
        name="organisation-leave",
    ),
    path(
        "your-organisation/<str:ref>/requests/<uuid:public_id>/",
        member_views.join_request_decide,
        name="join-request-decide",
    ),
    path(
        "your-organisation/<str:ref>/listings/new/",
        member_views.listing_create,
        name="listing-create",
    ),
    path("invitations/<str:token>/", member_views.invitation, name="invitation"),
    path(
        "your-organisation/invitations/<int:pk>/join/",
        member_views.accept_invitation_to_me,
        name="invitation-join",
    ),
    path("listings/<str:ref>/edit/", member_views.listing_edit, name="listing-edit"),
    path("listings/<str:ref>/preview/", member_views.listing_preview, name="listing-preview"),
    path("listings/<str:ref>/publish/", member_views.listing_publish, name="listing-publish"),
    path("listings/<str:ref>/withdraw/", member_views.listing_withdraw, name="listing-withdraw"),
    path("listings/<str:ref>/review/", member_views.listing_review, name="listing-review"),
    path("listings/<str:ref>/keep-open/", member_views.listing_renew, name="listing-renew"),
]
