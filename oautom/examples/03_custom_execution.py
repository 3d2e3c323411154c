"""03 - Your own Execution: a sensor that waits for a file to appear.

An Execution's work is asynchronous: `run()` starts it and returns at once,
then the engine polls `check()` every `poll_interval` seconds until it says
True. A sensor has nothing to start: its `check()` just looks. What an
attempt keeps (here, its context, to log with) it *assigns* in run(): the
engine calls run(), check() and cancel() on a fresh copy of the step for
every attempt.
"""
import os
import pathlib
import tempfile
import threading

from oautom import BashExecution, Execution, Flow, OAutom


class FileSensor(Execution):
    """Succeeds once `path` exists; times out like any step (timeout=...)."""

    def __init__(self, name, flow, path, **step_options):
        super().__init__(name, flow, **step_options)
        self.path = path

    def run(self, context):
        self.context = context  # per-run state, assigned: cancel() logs with it
        context.log(f'waiting for {self.path}')

    def check(self):
        return os.path.exists(self.path)

    def cancel(self):  # a timeout, a stop, a check() that raised: a sensor has only a line to log
        self.context.log(f'gave up waiting for {self.path}')


def main():
    """Another thread drops the file a moment later; the sensor notices it."""
    with tempfile.TemporaryDirectory(prefix='sensor-') as folder:
        path = os.path.join(folder, 'ready.flag')
        app = OAutom()
        flow = Flow('sensor', app=app)
        sensor = FileSensor('wait for file', flow=flow, path=path, poll_interval=0.1, timeout=10)
        sensor >> BashExecution('use file', flow=flow, command=f'echo found "{path}"')
        drop = threading.Timer(0.5, pathlib.Path(path).touch)  # the file, a moment later
        drop.start()
        vect = app.start('sensor')
        try:
            app.run()
        finally:  # after a Ctrl-C, say: no file dropped into a folder removed meanwhile
            drop.cancel()
        print(f'{vect!r} ended {vect.state.value}')
        print(vect.log('use file'))


if __name__ == '__main__':
    main()
