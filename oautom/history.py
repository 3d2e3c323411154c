"""History: the vects an app keeps for `app.logs()`, `history_size` of them at most.

A vect is kept from its start. When one too many are kept, the oldest that
has ended goes, so a vect that runs long stays in `app.logs()` while short
ones come and go; only when every kept vect still runs does the oldest go.
"""
from collections import deque

from .errors import OAutomError


class History:
    """The kept vects, oldest first. The app holds its lock around every use."""

    def __init__(self, size):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise OAutomError(f'history_size must be a whole number (an int) of 1 or more, '
                              f'not {size!r}')
        self._size = size
        self._vects = deque()

    def keep(self, vect):
        """Keep `vect`; if one too many are kept, let the oldest ended one go."""
        self._vects.append(vect)
        if len(self._vects) > self._size:
            self._vects.remove(next((old for old in self._vects if old.ended()),
                                    self._vects[0]))

    def newest_first(self):
        """The kept vects, newest first."""
        return list(reversed(self._vects))
