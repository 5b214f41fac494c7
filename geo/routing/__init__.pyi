from .emergency import ResponseTimes as ResponseTimes
from .emergency import response_times as response_times
from .frames import as_network as as_network
from .frames import travel_times as travel_times
from .travel import (
    DIRECTIONS as DIRECTIONS,
)
from .travel import (
    Snap as Snap,
)
from .travel import (
    nearest_facility as nearest_facility,
)
from .travel import (
    node_nearest as node_nearest,
)
from .travel import (
    node_reach as node_reach,
)
from .travel import (
    nodes_as_snap as nodes_as_snap,
)
from .travel import (
    od_matrix as od_matrix,
)
from .travel import (
    reach_matrix as reach_matrix,
)
from .travel import (
    snap_points as snap_points,
)
