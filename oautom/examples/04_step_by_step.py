"""04 - Step mode: nothing moves until you call app.tick().

Every mode runs the same engine: `tick()` is one round in which due steps are
checked, ended steps release their downstream, and ready steps start.
Foreground and background modes call it in a loop; step mode hands it to
you, so you can watch each round in a debugger or, here, print its events.
"""
import time

from oautom import Flow, OAutom, OAutomMode, PythonExecution


def main():
    """Tick a small flow by hand until its vect ends."""
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('by hand', app=app)
    first = PythonExecution('first', flow=flow, function=lambda ctx: {'n': 1})
    second = PythonExecution('second', flow=flow,
                             function=lambda ctx: {'n': ctx.outputs['first']['n'] + 1})
    first >> second
    vect = app.start('by hand')
    round_number = 0
    while not vect.ended():
        round_number += 1
        events = app.tick()
        changes = ', '.join(f"{event['step'] or 'vect'} -> {event['state'].value}"
                            for event in events) or 'nothing changed'
        print(f'tick {round_number}: {changes}')
        time.sleep(0.01)  # give the step threads a moment, as a learner would between ticks
    print(f'{vect!r}: second says n={vect.status()["executions"][1]["outputs"]["n"]}')


if __name__ == '__main__':
    main()
