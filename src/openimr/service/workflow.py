"""The one service layer: every action on a case, used alike by the CLI, the API and the web page.

:class:`Workflow` is the actions of each module put together (intake, screening, assignment,
review, letters, administration, queries), all sharing :class:`~.base.WorkflowBase`: made per
unit of work with the caller's session, the blob store, an injected clock and the actor.
"""

from __future__ import annotations

from openimr.service.admin import AdminActions, create_key
from openimr.service.assignment import AssignmentActions
from openimr.service.base import Clock, ReviewEngine, system_clock
from openimr.service.intake import IntakeActions, read_submission
from openimr.service.letters import LetterActions
from openimr.service.queries import QueryActions
from openimr.service.review import (
    DraftInput,
    ReviewActions,
    ReviewTimeoutError,
    final_review,
    run_review,
)
from openimr.service.screening import ScreeningActions

__all__ = [
    "Clock",
    "DraftInput",
    "ReviewEngine",
    "ReviewTimeoutError",
    "Workflow",
    "create_key",
    "final_review",
    "read_submission",
    "run_review",
    "system_clock",
]


class Workflow(
    IntakeActions,
    ScreeningActions,
    AssignmentActions,
    ReviewActions,
    LetterActions,
    AdminActions,
    QueryActions,
):
    """Every action on the service's data, for one actor inside one transaction."""
