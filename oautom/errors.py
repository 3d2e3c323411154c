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


class _ReadableKeyError(OAutomError, KeyError):
    """A KeyError whose str() is its message: KeyError's own would show its repr, quoted."""

    def __str__(self):
        return str(self.args[0]) if self.args else ''


class UnknownFlowError(_ReadableKeyError):
    """A flow name that was never registered with this app."""


class UnknownExecutionError(_ReadableKeyError):
    """A step name that a flow does not have."""


class VectAlreadyRunningException(OAutomError):
    """Only one vect per flow runs at a time: `running` is the one that does."""

    def __init__(self, message, running):
        super().__init__(message)
        self.running = running


class InvalidScheduleError(OAutomError, ValueError):
    """An interval or cron expression that cannot be used for a plan."""


class InvalidParamsError(OAutomError, ValueError):
    """A param the flow does not declare, or a value that does not convert."""
