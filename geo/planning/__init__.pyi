from .compare import Comparison as Comparison
from .compare import compare as compare
from .scenario import (
    Scenario as Scenario,
)
from .scenario import (
    apply_scenario as apply_scenario,
)
from .scenario import (
    load_scenario as load_scenario,
)
from .sites import (
    DesignationRun as DesignationRun,
)
from .sites import (
    SitingRun as SitingRun,
)
from .sites import (
    designate as designate,
)
from .sites import (
    site as site,
)
