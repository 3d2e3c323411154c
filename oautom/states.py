"""The states of a step and of a vect, and the moves allowed between them.

A step of a running flow (one `StepRun`) is always in exactly one
`ExecutionState`. The allowed moves are written once, below, as data; every
change of state is checked against them (`check_transition` words the
error), so an engine bug shows up as a loud error instead of a step quietly
jumping from `success` back to `running`.

    waiting -> running -> success | skipped
    waiting -> queued -> running                  (held back by max_parallel)
    running -> failed
    running -> retrying -> running | queued       (retries, after retry_delay)
    waiting -> upstream_failed | skipped          (trigger rule)
    waiting | queued | running | retrying -> cancelled   (stop / cancel)

A vect (one run of a whole flow) is `running` until every step has ended.
"""
from enum import StrEnum
from types import SimpleNamespace

from .errors import OAutomError


class ExecutionState(StrEnum):
    """Where one step of one vect stands. The comment says who sets it."""
    waiting = 'waiting'                  # the vect, at start: upstream not decided yet
    queued = 'queued'                    # the app: ready, but max_parallel steps already run
    running = 'running'                  # the vect, after calling run(): check() is polled
    retrying = 'retrying'                # the vect: an attempt failed, the next waits retry_delay
    success = 'success'                  # the vect, when check() returned True
    failed = 'failed'                    # the vect: the last attempt raised or timed out
    skipped = 'skipped'                  # the step (SkipExecution) or its trigger rule
    upstream_failed = 'upstream_failed'  # the trigger rule: an upstream failure blocks it
    cancelled = 'cancelled'              # the vect, on vect.cancel() or app.stop()


class VectState(StrEnum):
    """Where one run of a flow stands."""
    running = 'running'      # app.start(), until every step has ended
    success = 'success'      # every step ended, none failed
    failed = 'failed'        # every step ended, at least one failed
    cancelled = 'cancelled'  # vect.cancel() or app.stop() ended it early


# The engine compares states at every step. On Python 3.11, a lookup such as
# ExecutionState.running takes about 90 ns, as the enum's metaclass defines __getattr__;
# the same members in a plain namespace are found three times faster: `STATES.running`.
STATES = SimpleNamespace(**ExecutionState.__members__)
_S = STATES  # short, for the table below

TRANSITIONS = {
    _S.waiting: {_S.running, _S.queued, _S.upstream_failed, _S.skipped, _S.cancelled},
    _S.queued: {_S.running, _S.cancelled},
    _S.running: {_S.success, _S.skipped, _S.failed, _S.retrying, _S.cancelled},
    _S.retrying: {_S.running, _S.queued, _S.cancelled},
    _S.success: set(),
    _S.failed: set(),
    _S.skipped: set(),
    _S.upstream_failed: set(),
    _S.cancelled: set(),
}

ENDED = frozenset(state for state, moves in TRANSITIONS.items() if not moves)
FAILED = frozenset({_S.failed, _S.upstream_failed})  # what trigger rules count as failed


def check_transition(step_name, old, new):
    """Raise if a step may not move from `old` to `new`; this is an engine bug, not user error."""
    if new not in TRANSITIONS[old]:
        allowed = ', '.join(sorted(s.value for s in TRANSITIONS[old])) or 'nothing: it has ended'
        raise OAutomError(
            f'step {step_name!r} cannot move from {old.value} to {new.value}; '
            f'from {old.value} it may move to {allowed}')
