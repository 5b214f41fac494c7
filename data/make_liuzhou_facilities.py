"""Write the *assumed* facility list of the Liuzhou city example (geo batch).

Usage: python data/make_liuzhou_facilities.py

No facility list of the whole city is published, so the example states one from national
policy, every row labelled ``assumed`` in ``location_quality``:

- a county general hospital (县级综合医院) at each county-level seat: the county seats of
  ``boundaries/liuzhou_places.geojson`` (OpenMapTiles places, zoom 7: positions within
  about 1 km), the city seat marker (柳州市) for 城中区, and for 柳南区, which has no marker,
  the seat of its first street office by code;
- a township health centre (乡镇卫生院) at each township (镇/乡) seat, as national policy
  provides one per township, and a community health service centre (社区卫生服务中心) at each
  street office (街道) seat, one per street, from ``boundaries/liuzhou_township_seats.csv``.

Writes ``facilities/facilities_liuzhou_assumed.csv`` (WGS84).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "facilities" / "facilities_liuzhou_assumed.csv"
POLICY = "assumed (policy: one per {unit}); position: {where} (approx.)"


def _seat_of_county(county: str, counties: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                    seats: pd.DataFrame) -> tuple[float, float, str]:
    """(lon, lat, where) of a county's assumed general hospital."""
    poly = counties.loc[counties["name"] == county].geometry.iloc[0]
    inside = places[places.within(poly)]
    own = inside[inside["name:zh"] == county]
    if len(own) == 0:
        own = inside[inside["name"].str[:2] == county[:2]]
    if len(own):
        p = own.geometry.iloc[0]
        return p.x, p.y, f"county seat marker {own['name'].iloc[0]} (places.geojson)"
    if len(inside):
        p = inside.geometry.iloc[0]
        return p.x, p.y, f"city seat marker {inside['name'].iloc[0]}, inside {county}"
    first = seats[seats["county"] == county].sort_values("nbs_code_2016").iloc[0]
    return (float(first["wgs84_lon"]), float(first["wgs84_lat"]),
            f"seat of {first['township']} (no seat marker for {county})")


def main() -> None:
    counties = gpd.read_file(HERE / "boundaries" / "liuzhou_counties.geojson")
    places = gpd.read_file(HERE / "boundaries" / "liuzhou_places.geojson")
    seats = pd.read_csv(HERE / "boundaries" / "liuzhou_township_seats.csv", dtype=str)
    rows = []
    for i, r in enumerate(counties.itertuples(), start=1):
        lon, lat, where = _seat_of_county(r.name, counties, places, seats)
        rows.append({"id": f"LZC-H{i:02d}", "name": f"{r.name}县级综合医院（假定）",
                     "name_en": f"{r.name} county general hospital (assumed)",
                     "type": "county_general_hospital", "lon": lon, "lat": lat,
                     "location_quality": POLICY.format(unit="county-level unit", where=where),
                     "county": r.name, "township": ""})
    for i, s in enumerate(seats.sort_values("nbs_code_2016").itertuples(), start=1):
        street = s.township.endswith(("街道办事处", "街道"))
        kind, unit = (("community_health_service_center", "street") if street
                      else ("township_health_center", "township"))
        short = s.township.removesuffix("办事处")
        name = f"{short}社区卫生服务中心（假定）" if street else f"{short}卫生院（假定）"
        what = "community health service centre" if street else "township health centre"
        rows.append({"id": f"LZC-T{i:03d}", "name": name, "name_en": f"{short} {what} (assumed)",
                     "type": kind, "lon": float(s.wgs84_lon), "lat": float(s.wgs84_lat),
                     "location_quality": POLICY.format(unit=unit, where=f"seat of {s.township}"),
                     "county": s.county, "township": s.township})
    pd.DataFrame(rows).to_csv(OUT, index=False, encoding="utf-8")
    print(f"wrote {len(rows)} assumed facilities to {OUT}")


if __name__ == "__main__":
    main()
