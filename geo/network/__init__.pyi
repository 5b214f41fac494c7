from .cache import load_networks as load_networks
from .cache import save_networks as save_networks
from .graph import Network as Network
from .graph import NetworkReport as NetworkReport
from .lines import build_network as build_network
from .osm import (
    network_from_graph as network_from_graph,
)
from .osm import (
    network_from_osm as network_from_osm,
)
from .osm import (
    network_from_xml as network_from_xml,
)
from .sources import (
    MODES as MODES,
)
from .sources import (
    RoadOptions as RoadOptions,
)
from .sources import (
    download_networks as download_networks,
)
from .sources import (
    networks_from_source as networks_from_source,
)
