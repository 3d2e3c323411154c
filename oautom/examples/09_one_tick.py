"""09 - One tick, call by call: the tick that ends step `a` and starts `b`.

README's "Follow one tick" walks through this tick in words. This example
prints it: each call into oautom's own code during that one tick, indented
by depth, in the order a debugger's "step into" meets them. (The steps'
functions run in worker threads, which it does not follow.)
"""
import pathlib
import sys
import time

import oautom
from oautom import Flow, OAutom, OAutomMode, PythonExecution

PACKAGE = pathlib.Path(oautom.__file__).parent


def calls_of(tick):
    """Call tick(); return its calls into the package, as indented lines."""
    lines, depth = [], 0

    def note(frame, event, _arg):  # sys.setprofile calls it at each call and return
        nonlocal depth
        code = frame.f_code
        if pathlib.Path(code.co_filename).parent != PACKAGE or code.co_name.startswith('<'):
            return  # not ours, or a comprehension inside one of ours
        if event == 'call':
            lines.append(f'{"  " * depth}{pathlib.Path(code.co_filename).name} {code.co_qualname}')
        depth += {'call': 1, 'return': -1}.get(event, 0)
    sys.setprofile(note)
    try:
        tick()
    finally:
        sys.setprofile(None)
    return lines


def main():
    """Start `a` in one tick, then print the tick that sees it done."""
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl', app=app)
    PythonExecution('a', flow, lambda ctx: None) >> PythonExecution('b', flow, lambda ctx: None)
    vect = app.start('etl')
    app.tick()  # starts a: its function runs in a worker thread, then wakes the engine
    lines = []
    while vect.status()['executions'][0]['state'] != 'success':
        time.sleep(0.01)  # a's worker thread needs a moment
        lines = calls_of(app.tick)
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
