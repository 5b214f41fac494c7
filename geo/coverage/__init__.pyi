from .bands import coverage_gaps as coverage_gaps
from .bands import travel_time_bands as travel_time_bands
from .population import (
    from_points as from_points,
)
from .population import (
    from_raster as from_raster,
)
from .population import (
    from_zone_table as from_zone_table,
)
from .population import (
    grid_cells as grid_cells,
)
from .population import (
    spread_evenly as spread_evenly,
)
from .standards import (
    Standard as Standard,
)
from .standards import (
    StandardSet as StandardSet,
)
from .standards import (
    load_standards as load_standards,
)
from .tables import county_summary as county_summary
from .tables import coverage_table as coverage_table
from .tiers import nearest_peer as nearest_peer
from .tiers import tier_of as tier_of
from .townships import assign_to_polygons as assign_to_polygons
from .townships import voronoi_areas as voronoi_areas
