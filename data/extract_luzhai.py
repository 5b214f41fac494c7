"""Rebuild the embedded Luzhai data from the shared Liuzhou collection.

Usage: python data/extract_luzhai.py PATH/TO/shared/data/liuzhou

Copies the facility and project tables, the county and city seats (places), the Liuzhou
county boundaries, the Luzhai
county boundary and township seats, and the road backbone: every line that touches
the county buffered by MARGIN_KM (whole lines, not cut, so no new loose ends appear),
so that routes leaving and re-entering the county still work.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

MARGIN_KM = 30.0  # the county is ~60 km across; 30 km holds every detour through neighbours
HERE = Path(__file__).resolve().parent


def main(src: Path) -> None:
    for name in ("facilities_luzhai.csv", "planned_projects_luzhai.csv"):
        shutil.copy(src / name, HERE / "facilities" / name)
    shutil.copy(src / "places.geojson", HERE / "boundaries" / "liuzhou_places.geojson")
    counties = gpd.read_file(src / "counties.geojson")
    counties.to_file(HERE / "boundaries" / "liuzhou_counties.geojson", driver="GeoJSON")
    luzhai = counties[counties["name"] == "鹿寨县"]
    luzhai.to_file(HERE / "boundaries" / "luzhai_county.geojson", driver="GeoJSON")
    seats = pd.read_csv(src / "township_seats.csv", dtype=str)
    shutil.copy(src / "township_seats.csv", HERE / "boundaries" / "liuzhou_township_seats.csv")
    seats[seats["county"] == "鹿寨县"].to_csv(
        HERE / "boundaries" / "luzhai_township_seats.csv", index=False
    )
    roads = gpd.read_file(src / "roads_backbone.geojson")
    shutil.copy(src / "roads_backbone.geojson", HERE / "roads" / "liuzhou_backbone.geojson")
    zone = luzhai.to_crs(32649).buffer(MARGIN_KM * 1000).to_crs(4326).union_all()
    roads[roads.intersects(zone)].to_file(
        HERE / "roads" / "luzhai_backbone.geojson", driver="GeoJSON"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
