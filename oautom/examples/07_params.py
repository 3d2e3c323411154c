"""07 - Params: one flow, run with other inputs each time.

A flow declares its params with their defaults: `Flow(..., params={...})`.
Each `app.start(name, params={...})` may change some of them for that vect
only; a step reads them in `ctx.params`. A value given as text (as from a
command line or a web form) is converted to the type of its default, and a
param the flow does not declare is refused before anything runs.
"""
from oautom import Flow, InvalidParamsError, OAutom, PythonExecution


def greet(ctx):
    """Reads two params; the vect id says which run this is."""
    return {'said': f"{ctx.vect_id}: {'hello ' * ctx.params['times']}{ctx.params['who']}"}


def main():
    """Start one flow three times, with other params, then once with a wrong one."""
    app = OAutom()
    flow = Flow('greeting', app=app, params={'who': 'world', 'times': 1})  # the defaults
    PythonExecution('greet', flow=flow, function=greet)
    vects = []
    for params in (None, {'who': 'learners'}, {'times': '3'}):  # '3' becomes the int 3
        vects.append(app.start('greeting', params=params))
        app.run()  # one vect of a flow runs at a time: run each to its end
    for vect in vects:
        greeting = vect.status()['executions'][0]['outputs']['said']
        print(f'{vect.params} -> {greeting}')
    try:
        app.start('greeting', params={'whom': 'nobody'})
    except InvalidParamsError as error:
        print(f'refused: {error}')


if __name__ == '__main__':
    main()
