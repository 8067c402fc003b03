"""Django project package for Cluster Exchange; loads the Celery app with Django."""

from .celery import app as celery_app

__all__ = ("celery_app",)
