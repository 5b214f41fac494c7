from .alternatives import equal_swaps as equal_swaps
from .models import SitingProblem as SitingProblem
from .models import SitingResult as SitingResult
from .models import lscp as lscp
from .models import mclp as mclp
from .models import pmedian as pmedian
