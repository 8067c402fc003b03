"""App config for clusters: clusters, challenges, themes, organisations and listings."""

from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = "Clusters, challenges and listings"
