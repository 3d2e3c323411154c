"""A StepRun is one step of one vect: its state, its attempts, its log.

A flow's steps are definitions; a vect (one run of the flow) keeps one
StepRun per step to remember what happened to it this time. This is Airflow's
"task instance", kept as small as possible because a vect of 10,000 steps
holds 10,000 of them. Only the vect changes a StepRun, inside `app.tick()`.
"""
import threading
from collections import deque

from .states import ENDED, ExecutionState

LOG_LIMIT = 1024 * 1024  # characters kept per step log; older text is dropped


class StepRun:  # pylint: disable=too-many-instance-attributes
    """The state of one step within one vect."""
    # __slots__ keeps each record small: there is one per step per vect.
    __slots__ = ('step', 'index', 'state', 'attempts', 'started', 'ended', 'error', 'outputs',
                 'instance', 'attempt_began', 'next_check', 'retry_at', 'deadline',
                 'upstream', 'downstream', 'pending', 'succeeded', 'failed', 'skipped',
                 'ready', 'cause', 'log')

    def __init__(self, step, index):
        self.step = step                  # the definition (an Execution of the flow)
        self.index = index                # position in definition order
        self.state = ExecutionState.waiting
        self.attempts = 0                 # attempts started so far
        self.started = None               # datetime the first attempt started
        self.ended = None                 # datetime it reached an end state
        self.error = None                 # why the last attempt failed (text)
        self.outputs = {}                 # what the successful attempt published
        self.instance = None              # the per-attempt copy of `step` that does the work
        self.attempt_began = None         # monotonic time the current attempt started
        self.next_check = None            # monotonic time of the next check() while running
        self.retry_at = None              # monotonic time of the next attempt while retrying
        self.deadline = None              # monotonic time the current attempt times out
        self.upstream = []                # StepRuns this one waits for
        self.downstream = []              # StepRuns that wait for this one
        self.pending = 0                  # upstream StepRuns that have not ended yet
        self.succeeded = self.failed = self.skipped = 0  # how the ended upstream ones ended
        self.ready = False                # decided to run; waits for the app to start it
        self.cause = None                 # the upstream StepRun whose end decided this one
        self.log = None                   # a StepLog, made by the vect as the first attempt starts

    @property
    def name(self):
        """The step's name."""
        return self.step.name

    def has_ended(self):
        """True once the step reached an end state (success, failed, skipped, ...)."""
        return self.state in ENDED

    def write_log(self, text):
        """Append `text` to this step's log; callable from the step's own threads."""
        self.log.write(text)

    def log_text(self):
        """Everything kept of the log, as one string."""
        return '' if self.log is None else self.log.text()

    def __repr__(self):
        return f'<StepRun {self.step.name!r} {self.state.value}, attempt {self.attempts}>'


class StepLog:
    """Text that keeps only its last LOG_LIMIT characters, with a marker where it was cut."""

    def __init__(self):
        # Guards _chunks, _size and _dropped: a step's threads write while readers read.
        self._lock = threading.Lock()
        self._chunks = deque()
        self._size = 0
        self._dropped = 0  # characters dropped from the front so far

    def write(self, text):
        """Append text, dropping the oldest chunks once over the limit."""
        with self._lock:
            self._chunks.append(text)
            self._size += len(text)
            while self._size > LOG_LIMIT:
                oldest = self._chunks.popleft()
                excess = self._size - LOG_LIMIT
                if len(oldest) > excess:  # keep the tail of a chunk that straddles the limit
                    self._chunks.appendleft(oldest[excess:])
                    oldest = oldest[:excess]
                self._size -= len(oldest)
                self._dropped += len(oldest)

    def text(self):
        """The kept text, behind a marker saying how much was dropped, if any."""
        with self._lock:
            kept = ''.join(self._chunks)
            dropped = self._dropped
        if dropped:
            return f'[... {dropped} earlier characters dropped: a step keeps the last ' \
                   f'{LOG_LIMIT} ...]\n{kept}'
        return kept
