"""The errors oautom raises, and the rule they follow.

Every refusal says what rule was broken and how to fix it, in one sentence a
learner can act on. All of them derive from `OAutomError`, so
`except OAutomError` catches anything oautom refuses. Some also derive from a
built-in error where that is what the caller would naturally catch:
an unknown flow is a `KeyError`, a bad schedule or bad params a `ValueError`.
"""


class OAutomError(Exception):
    """Base of every error oautom raises on purpose."""


class FlowIntegrityError(OAutomError):
    """A flow's definition breaks a rule: a bad name, a cycle, an empty flow..."""


class UnknownFlowError(OAutomError, KeyError):
    """A flow name that was never registered with this app."""

    def __str__(self):
        # KeyError.__str__ would show the repr of the message, quotes and all.
        return str(self.args[0]) if self.args else ''


class UnknownExecutionError(OAutomError, KeyError):
    """A step name that a flow does not have."""

    def __str__(self):
        return str(self.args[0]) if self.args else ''


class VectAlreadyRunningException(OAutomError):
    """Only one vect per flow runs at a time."""


class InvalidScheduleError(OAutomError, ValueError):
    """An interval or cron expression that cannot be used for a plan."""


class InvalidParamsError(OAutomError, ValueError):
    """A param the flow does not declare, or a value that does not convert."""
