"""The `oautom` logger, where the engine reports: starts, ends, failures, notes.

Its calls never raise. The logging module catches what a handler's output
raises (it prints that on stderr and goes on), but not what a *filter*
raises, and a filter is a program's own code: one on the root logger's
handler that reads an attribute only the program's own records have raises
on every record of oautom's. Raised in the engine's tick, it would stop the
engine, with vects left running; here, the message goes to stderr instead,
with what went wrong.
"""
import logging
import sys


class NeverRaises(logging.LoggerAdapter):
    """`logging.getLogger(name)`, whose log(), warning(), error()... never raise."""

    def __init__(self, name):
        super().__init__(logging.getLogger(name), None)
        # Asked at every tick: straight to the logger's own method, one call fewer
        self.isEnabledFor = self.logger.isEnabledFor  # pylint: disable=invalid-name

    def log(self, level, msg, *args, **kwargs):
        try:
            super().log(level, msg, *args, stacklevel=2, **kwargs)  # its caller's line, not ours
        except Exception as error:  # pylint: disable=broad-exception-caught
            try:
                text = msg % args if args else msg
                sys.stderr.write(f'oautom: logging raised {type(error).__name__}: {error}; '
                                 f'the message was: {text}\n')
            except Exception:  # pylint: disable=broad-exception-caught
                pass  # nothing left to tell it with


logger = NeverRaises('oautom')
