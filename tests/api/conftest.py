import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))

from apisupport import api, live_server  # noqa: F401 - fixtures
from wfsupport import clock, db_url, env  # noqa: F401 - fixtures
