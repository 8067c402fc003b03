"""The clusters on the map of Great Britain drawn at build time (frontend/src/map/).

The outline's path data is in templates/dashboards/_gb_outline.html and the projection's
constants in gb_map.json, both written by frontend/src/map/build-gb-map.mjs; this module
projects the clusters with the same formula so the circles land where the coast is drawn.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

MAP = json.loads((Path(__file__).with_name("gb_map.json")).read_text())
WIDTH = MAP["width"]
HEIGHT = MAP["height"]

# Licence and attribution, shown under the map (and in the README).
ATTRIBUTION = (
    "Map outline from Natural Earth (public domain), prepared by Mike Bostock's world-atlas "
    "(ISC licence). Places are shown to within about 2 km."
)

# Where each cluster is: the main industrial site it is known by, in degrees (WGS84), to
# two decimal places (about 1 km), read off OpenStreetMap. Slugs as in clusters/reference.py.
# (latitude, longitude, place, which side of the circle its label goes)
PLACES = {
    "humber": (53.62, -0.21, "Immingham", "end"),
    "south-wales": (51.58, -3.78, "Port Talbot", "end"),
    "grangemouth": (56.01, -3.70, "Grangemouth", "start"),
    "teesside": (54.58, -1.10, "Wilton and Redcar", "start"),
    "merseyside": (53.28, -2.87, "Ellesmere Port and Stanlow", "end"),
    "southampton": (50.83, -1.35, "Fawley", "end"),
}

MAX_RADIUS = 30  # map units (the map is WIDTH units wide) for the largest emitter
UNKNOWN_RADIUS = 4  # a cluster with no emissions figure is still on the map


def project(lat: float, lon: float) -> tuple[float, float]:
    """Spherical transverse Mercator, as in build-gb-map.mjs, into the map's units."""
    phi = math.radians(lat)
    dl = math.radians(lon - MAP["lon0"])
    b = math.cos(phi) * math.sin(dl)
    x = 0.5 * math.log((1 + b) / (1 - b))
    y = math.atan2(math.tan(phi), math.cos(dl)) - math.radians(MAP["lat0"])
    scale, margin = MAP["scale"], MAP["margin"]
    return (
        round(margin + (x - MAP["minX"]) * scale, 1),
        round(HEIGHT - margin - (y - MAP["minY"]) * scale, 1),
    )


@dataclass(frozen=True)
class MapPoint:
    cluster: object
    place: str
    x: float
    y: float
    r: float
    label_anchor: str

    @property
    def label_x(self) -> float:
        gap = self.r + 4
        return round(self.x + gap if self.label_anchor == "start" else self.x - gap, 1)


def map_points(clusters) -> list[MapPoint]:
    """One circle per cluster we know the place of, its area proportional to emissions."""
    largest = max((float(c.emissions_mtco2 or 0) for c in clusters), default=0) or 1
    points = []
    for cluster in clusters:
        if cluster.slug not in PLACES:
            continue
        lat, lon, place, anchor = PLACES[cluster.slug]
        x, y = project(lat, lon)
        if cluster.emissions_mtco2 is None:
            r = UNKNOWN_RADIUS
        else:
            r = max(2.0, round(MAX_RADIUS * math.sqrt(float(cluster.emissions_mtco2) / largest), 1))
        points.append(MapPoint(cluster, place, x, y, r, anchor))
    # Largest first, so a small circle is drawn over (and can be clicked beside) a large one.
    return sorted(points, key=lambda p: -p.r)
