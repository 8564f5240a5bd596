"""The IMR workflow service: one layer of actions on cases, used by the CLI, the API and the UI."""

from openimr.service.auth import Actor, Role, authenticate
from openimr.service.settings import Settings
from openimr.service.uploads import Limits, Upload
from openimr.service.workflow import Workflow, create_key, final_review, system_clock

__all__ = [
    "Actor",
    "Limits",
    "Role",
    "Settings",
    "Upload",
    "Workflow",
    "authenticate",
    "create_key",
    "final_review",
    "system_clock",
]
