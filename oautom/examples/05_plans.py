"""05 - Plans: start a flow on a schedule, in a background app.

`app.plan('ticker', seconds=0.2)` starts the flow every 0.2 s, on a fixed
grid; `cron='*/5 * * * *'` would start it every five minutes. A background
app runs its engine in a daemon thread, so this script keeps the main
thread: it watches the events, then stops the app after three runs.
"""
import threading

from oautom import Flow, OAutom, OAutomMode, PythonExecution


def main():
    """Plan a small flow, let it fire three times, stop."""
    app = OAutom(mode=OAutomMode.background)
    flow = Flow('ticker', app=app)
    PythonExecution('tick', flow=flow, function=lambda ctx: {'vect': ctx.vect_id})
    three_done = threading.Event()
    finished = []

    def on_event(event):
        if event['step'] is None and event['state'].value != 'running':  # a vect ended
            finished.append(event['vect'])
            print(f"{event['time']:%H:%M:%S.%f} {event['vect']} {event['state'].value}")
            if len(finished) == 3:
                three_done.set()

    app.subscribe(on_event)
    plan = app.plan('ticker', seconds=0.2)
    print(f'{plan!r}')
    app.run()
    three_done.wait(timeout=10)
    app.stop()  # cancels the plan, stops the engine thread
    print(f'plans left: {app.plans()}')


if __name__ == '__main__':
    main()
