"""The start queue: ready steps start at once, unless max_parallel steps already run.

`OAutom(max_parallel=N)` bounds the steps running at once across every vect
of an app. A ready step that finds no free slot waits in this queue,
recorded as `queued`, and the queued steps start first come, first served
(in definition order among those that became ready in the same tick) as
slots free up. Without max_parallel, every ready step starts in the tick
that found it ready, and nothing is ever queued.
"""
from collections import deque

from .errors import OAutomError


class StartQueue:  # pylint: disable=too-few-public-methods
    """The ready steps of an app's vects, started within max_parallel. Used by the tick only."""

    def __init__(self, max_parallel):
        if max_parallel is not None and (isinstance(max_parallel, bool) or
                                         not isinstance(max_parallel, int) or max_parallel < 1):
            raise OAutomError(f'max_parallel must be a whole number (an int) of 1 or more, not '
                              f'{max_parallel!r}')
        self.max_parallel = max_parallel
        self._queued = deque()  # (vect, StepRun) ready, not started yet

    def __repr__(self):
        return f'<StartQueue max_parallel={self.max_parallel}: {len(self._queued)} queued>'

    def start(self, vects):
        """Start the steps held back earlier, then those the `vects` have ready, while a slot
        is free; record the new ones left in the queue as queued."""
        # The quick path, with no bound (the usual case): the loop below would start the same
        if self.max_parallel is None and not self._queued:
            for vect in vects:
                ready = vect.take_ready()
                for position, step_run in enumerate(ready):
                    try:
                        vect.start_step(step_run)
                    except BaseException:
                        # A tick cut short (Ctrl-C in a run()): the steps not started yet
                        # wait here for the next tick.
                        self._queued.extend((vect, later) for later in ready[position + 1:])
                        raise
            return
        ready = [(vect, step_run) for vect in vects for step_run in vect.take_ready()]
        self._queued.extend(ready)  # queued until started, even if this tick is cut short
        # (Without max_parallel, steps wait here only after a tick cut short.)
        while self._queued and (self.max_parallel is None or
                                sum(vect.running_steps for vect in vects) < self.max_parallel):
            vect, step_run = self._queued.popleft()
            if step_run.ready:  # not cancelled while it waited
                vect.start_step(step_run)  # one that ends inside run() frees its slot at once
        # Those of this tick's ready steps still queued are the last ones in the queue: they
        # are held back, recorded as queued. (The ones before them were recorded earlier.)
        first_new = max(0, len(self._queued) - len(ready))
        for position in range(first_new, len(self._queued)):
            vect, step_run = self._queued[position]
            vect.hold(step_run, self.max_parallel)
