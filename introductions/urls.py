"""Introductions: request one on a match, and accept or decline one."""

app_name = "introductions"
urlpatterns: list = []
