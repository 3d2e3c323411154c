"""01 - Hello world: one flow, one step, run in the foreground.

A flow is a named DAG of steps. This one has a single BashExecution that
writes "Hello World!" to a file. `app.start()` creates a vect (one run of the
flow); `app.run()` drives it until nothing is left to do.
"""
import os
import tempfile

from oautom import BashExecution, Flow, OAutom


def main():
    """Build the flow, run it once, show the file it wrote (in a folder removed at the end)."""
    with tempfile.TemporaryDirectory(prefix='hello-') as folder:
        hello_file = os.path.join(folder, 'hello.txt')
        app = OAutom()  # foreground mode: run() returns when no vect is left running
        flow = Flow('hello', app=app)
        BashExecution('say hello', flow=flow, command='echo "Hello World!" > "$HELLO_FILE"',
                      env={'HELLO_FILE': hello_file})
        vect = app.start('hello')
        app.run()
        print(f'{vect!r} ended {vect.state.value}')
        with open(hello_file, encoding='utf-8') as hello:
            print(f'{hello_file} says: {hello.read().strip()}')


if __name__ == '__main__':
    main()
