"""States: str enums with the contract's values, and transitions checked from data."""
import json

import pytest

from oautom import ExecutionState, OAutomError, VectState
from oautom.states import ENDED, TRANSITIONS, check_transition

S = ExecutionState


def test_values_are_the_lower_case_names():
    assert [state.value for state in ExecutionState] == [
        'waiting', 'queued', 'running', 'retrying', 'success', 'failed', 'skipped',
        'upstream_failed', 'cancelled']
    assert [state.value for state in VectState] == ['running', 'success', 'failed', 'cancelled']


def test_states_are_strings():
    assert isinstance(S.running, str) and S.running == 'running'
    assert json.dumps({'state': VectState.failed}) == '{"state": "failed"}'


@pytest.mark.parametrize('old, new', [
    (S.waiting, S.running), (S.waiting, S.queued), (S.queued, S.running),
    (S.running, S.success), (S.running, S.skipped), (S.running, S.failed),
    (S.running, S.retrying), (S.retrying, S.running), (S.retrying, S.queued),
    (S.waiting, S.upstream_failed), (S.waiting, S.skipped),
    (S.waiting, S.cancelled), (S.queued, S.cancelled), (S.running, S.cancelled),
    (S.retrying, S.cancelled),
])
def test_allowed_transitions(old, new):
    check_transition('a', old, new)


@pytest.mark.parametrize('old, new', [
    (S.success, S.running), (S.waiting, S.success), (S.failed, S.retrying),
    (S.queued, S.failed), (S.skipped, S.cancelled), (S.running, S.upstream_failed),
])
def test_refused_transitions_say_what_is_allowed(old, new):
    with pytest.raises(OAutomError, match=f"'a' cannot move from {old.value} to {new.value}"):
        check_transition('a', old, new)


def test_end_states_are_those_without_moves():
    assert ENDED == {S.success, S.failed, S.skipped, S.upstream_failed, S.cancelled}
    assert all(TRANSITIONS[state] for state in set(S) - ENDED)


def test_a_refused_move_from_an_ended_state_says_the_step_has_ended():
    with pytest.raises(OAutomError, match='from success it may move to nothing: it has ended$'):
        check_transition('a', S.success, S.running)
