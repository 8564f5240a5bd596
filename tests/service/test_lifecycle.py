"""The case state machine on its own (pure)."""

from __future__ import annotations

import pytest

from openimr.errors import InvalidTransitionError
from openimr.process.lifecycle import (
    FINAL_STATES,
    OPEN_STATES,
    TRANSITIONS,
    CaseState,
    allowed_actions,
    transition,
)


def test_every_state_is_reachable_from_received() -> None:
    seen = {CaseState.RECEIVED}
    frontier = [CaseState.RECEIVED]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if t.source is state and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    assert seen == set(CaseState)


def test_final_states_have_no_way_out() -> None:
    for state in FINAL_STATES:
        assert allowed_actions(state) == []
        with pytest.raises(InvalidTransitionError, match="closed"):
            transition(state, "withdraw")


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_open_cases_can_be_withdrawn_and_terminated(state: CaseState) -> None:
    assert transition(state, "withdraw").target is CaseState.WITHDRAWN
    assert transition(state, "terminate").target is CaseState.TERMINATED


def test_invalid_transition_names_state_action_and_options() -> None:
    with pytest.raises(InvalidTransitionError) as info:
        transition(CaseState.RECEIVED, "finalize")
    msg = str(info.value)
    assert "'received'" in msg and "cannot finalize" in msg and "start_screening" in msg


def test_unknown_action_and_state_are_refused() -> None:
    with pytest.raises(InvalidTransitionError, match="unknown action"):
        transition(CaseState.RECEIVED, "teleport")
    with pytest.raises(InvalidTransitionError, match="unknown case state"):
        transition("limbo", "withdraw")


def test_finalize_only_from_review_and_issue_only_after_determination() -> None:
    sources = {t.source for t in TRANSITIONS if t.action == "finalize"}
    assert sources == {CaseState.IN_REVIEW}
    sources = {t.source for t in TRANSITIONS if t.action == "issue_letter"}
    assert sources == {CaseState.DETERMINED}
