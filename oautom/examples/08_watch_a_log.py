"""08 - Watch a log: read a shell step's output while it still runs.

A BashExecution's stdout and stderr join its log when the command ends. Until
then, `vect.log(step)` shows them as they are so far, followed by a line
saying the command still runs. Here a background app runs a step that prints
a line every 0.1 s, and the main thread reads its log as a dashboard would,
printing each of the command's lines the first time it shows up.
"""
import time

from oautom import BashExecution, Flow, OAutom, OAutomMode

COMMAND = 'for i in 1 2 3 4 5; do echo "part $i of 5"; sleep 0.1; done'


def main():
    """Start the step, poll its log until the vect ends, then print the whole log."""
    app = OAutom(mode=OAutomMode.background)
    BashExecution('count', flow=Flow('progress', app=app), command=COMMAND)
    app.run()
    began, seen = time.monotonic(), set()
    vect = app.start('progress')
    while not vect.wait(timeout=0.05):  # False while it runs: look at the log again
        for line in vect.log('count').splitlines():
            if line.startswith('part') and line not in seen:
                seen.add(line)
                state = vect.status()['executions'][0]['state']
                print(f'{time.monotonic() - began:3.1f} s  {line}  (step {state})')
    print(f'\nthe whole log, once {vect.id} ended {vect.state.value}:')
    print(vect.log('count'))
    app.stop()


if __name__ == '__main__':
    main()
