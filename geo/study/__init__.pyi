from .prepare import check_study as check_study
from .run import ComputedStudy as ComputedStudy
from .run import run_study as run_study
from .scan import init_study as init_study
from .scan import scan_folder as scan_folder
from .schema import Study as Study
from .schema import load_study as load_study
