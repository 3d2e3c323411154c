"""Test helpers: a scripted Execution and small builders.

`Scripted('a', flow, script=[False, False, True])` answers check() from its
script, one item per call: False (still running), True (done), or an
exception instance to raise (SkipExecution('why'), ValueError('boom')).
When the script runs out, the last answer repeats. `outputs` are published
on success. Each attempt starts the script again, unless `scripts` gives one
script per attempt.
"""
from oautom import Execution


class Scripted(Execution):
    """An Execution whose check() follows a script; it records its calls."""

    def __init__(self, name, flow, script=(True,), *, scripts=None, outputs=None,
                 fail_on_run=None, **options):
        super().__init__(name, flow, **options)
        self.scripts = [list(s) for s in scripts] if scripts else None
        self.script = list(script)
        self.result = dict(outputs or {})
        self.fail_on_run = fail_on_run
        self.calls = []  # shared by every per-run copy: ('run', attempt) / ('check',) / ('cancel',)
        self.contexts = []  # shared too: the context of every attempt

    def run(self, context):
        self.calls.append(('run', context.attempt))
        self.contexts.append(context)
        self.context = context
        if self.fail_on_run is not None:
            raise self.fail_on_run
        if self.scripts:
            self.remaining = list(self.scripts[min(context.attempt, len(self.scripts)) - 1])
        else:
            self.remaining = list(self.script)

    def check(self):
        self.calls.append(('check',))
        answer = self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]
        if isinstance(answer, BaseException):
            raise answer
        if answer:
            self.outputs.update(self.result)
        return answer

    def cancel(self):
        self.calls.append(('cancel',))


def states(vect):
    """{step name: state value} of a vect, from its status."""
    return {step['name']: step['state'] for step in vect.status()['executions']}


def tick_until_ended(app, vect, limit=100, seconds=0.0):
    """Tick a step-mode app until `vect` ends, advancing its fake clock `seconds` after
    each tick; fail after `limit` ticks."""
    for _ in range(limit):
        if vect.ended():
            return
        app.tick()
        if seconds:
            app.clock.advance(seconds)
    raise AssertionError(f'{vect!r} did not end within {limit} ticks')
