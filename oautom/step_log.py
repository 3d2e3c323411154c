"""A step's log: the text it wrote, bounded so a chatty step cannot eat the memory.

A step writes to its log from its own threads (a shell's output, a Python
function's `context.log`) while a learner reads it (`vect.log(step)`). Only
the last LOG_LIMIT characters are kept (SLACK more until it is read); a
marker at the top says how much older text was dropped. (A shell's stdout and
stderr are cut to tails that fit in it: shell_files.py.)
"""
import threading
from collections import deque

from .errors import is_interrupt
from .failures import describe
from .names import counted

LOG_LIMIT = 1024 * 1024  # characters kept per step log; older text is dropped
SLACK = LOG_LIMIT // 8   # written past the limit before the oldest text is dropped
# Texts written one by one are kept as one piece by this many: a str costs about 50 bytes
# more than its characters, so a million one-character lines, kept apart, would take 50
# times their size
PIECE_TEXTS = 256


class StepLog:
    """Text that keeps only its last LOG_LIMIT characters, with a marker where it was cut."""

    def __init__(self):
        # Guards the four below: a step's threads write while readers read.
        self._lock = threading.Lock()
        self._chunks = deque()
        self._recent = []  # texts written since the last piece was made of them
        self._size = 0     # characters in both
        self._dropped = 0  # characters dropped from the front so far

    def __repr__(self):
        return f'<StepLog: {counted(self._size, "character")} kept, {self._dropped} dropped>'

    def write(self, text):
        """Append text; past the limit by SLACK, drop the oldest text. (Dropping at every
        write past the limit would copy a big first chunk again for each small line.)"""
        with self._lock:
            self._recent.append(text)
            self._size += len(text)
            if len(self._recent) == PIECE_TEXTS:
                self._make_piece()
            if self._size > LOG_LIMIT + SLACK:
                self._drop_to_limit()

    def _make_piece(self):
        """Join the texts written lately into one piece; under the lock."""
        if self._recent:
            self._chunks.append(''.join(self._recent))
            self._recent = []

    def _drop_to_limit(self):
        """Drop the oldest text down to LOG_LIMIT characters; under the lock."""
        self._make_piece()
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
            self._drop_to_limit()
            kept = ''.join(self._chunks)
            dropped = self._dropped
        if dropped:
            return f'[... {dropped} earlier characters dropped: a step keeps the last ' \
                   f'{LOG_LIMIT} ...]\n{kept}'
        return kept


def output_so_far(attempt_copy):
    """What a running attempt's work has written so far and logs only when it ends (a shell's
    output), as its log will show it: its tail, as a log keeps. Its output_so_far() is user
    code (an Execution may write its own): when it fails, a line that says so."""
    try:
        so_far = attempt_copy.output_so_far()
    except BaseException as error:  # pylint: disable=broad-exception-caught
        if is_interrupt(error):  # a Ctrl-C is for whoever reads the log
            raise
        return f'[output_so_far() failed: {describe(error)}]\n'
    if so_far is not None and not isinstance(so_far, str):  # (no bool() of it: user code)
        return f'[output_so_far() returned {type(so_far).__name__}, not text]\n'
    if so_far and len(so_far) > LOG_LIMIT:  # its tail, behind a marker
        return f'[... {len(so_far) - LOG_LIMIT} earlier characters dropped ...]\n' \
            f'{so_far[-LOG_LIMIT:]}'
    return so_far or ''
