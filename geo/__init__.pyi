from .errors import GeoError as GeoError
from .network.graph import Network as Network
from .network.sources import networks_from_source as networks_from_source
from .outputs.reload import load_computed as load_computed
from .outputs.write import write_outputs as write_outputs
from .planning.compare import compare as compare
from .planning.sites import designate as designate
from .planning.sites import site as site
from .routing.frames import isochrones as isochrones
from .routing.frames import od_matrix as od_matrix
from .routing.frames import reach_matrix as reach_matrix
from .routing.frames import travel_times as travel_times
from .siting.models import SitingProblem as SitingProblem
from .siting.models import lscp as lscp
from .siting.models import mclp as mclp
from .siting.models import pmedian as pmedian
from .study.run import ComputedStudy as ComputedStudy
from .study.run import run_study as run_study
from .study.schema import load_study as load_study

__version__: str
