from .layers import read_boundaries as read_boundaries
from .layers import read_roads as read_roads
from .points import input_notes as input_notes
from .points import read_facilities as read_facilities
from .points import read_points as read_points
from .tables import read_table as read_table
