"""The public "Get in touch" page."""

app_name = "enquiries"
urlpatterns: list = []
