"""Email preferences, one-click unsubscribe and feedback links."""

app_name = "notifications"
urlpatterns: list = []
