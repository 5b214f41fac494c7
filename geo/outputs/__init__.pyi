from .planning import write_comparison as write_comparison
from .planning import write_designation as write_designation
from .planning import write_siting as write_siting
from .reload import load_computed as load_computed
from .write import OUTPUT_FILES as OUTPUT_FILES
from .write import redraw_map as redraw_map
from .write import write_outputs as write_outputs
