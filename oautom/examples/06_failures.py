"""06 - Failures: retries, a timeout, and trigger rules that decide what runs next.

    flaky ----------+--> load  (all_success) --+--> clean up (all_done)
                    |                          |
    slow (timeout) -+--> alert (one_failed) ---+

    independent

Each `+` joins the lines that meet there: `load` and `alert` each come after
both `flaky` and `slow`, and `clean up` after both `load` and `alert`.

`flaky` fails its first attempt and succeeds on a retry (`retries=2`). `slow`
runs longer than its `timeout`, so its shell is killed and the step fails.
What runs next is its trigger rule's call: `load` needs every upstream step
to succeed (all_success, the default), so it ends `upstream_failed`; `alert`
runs as soon as one upstream step has failed (one_failed); `clean up` runs
once both have ended, whatever their state (all_done). `independent` has no
upstream step: a failure elsewhere never stops it. The vect ends `failed`.
Each failure is also told as it happens, by the `oautom` logger's warnings
(on stderr, so they may show before or after the printout).
"""
from oautom import BashExecution, Flow, OAutom, PythonExecution


def fail_once(ctx):
    """Fails its first attempt, like a service that is not up yet."""
    if ctx.attempt == 1:
        raise ConnectionError('the service is not up yet')
    return {'rows': 42}


def main():
    """Run the flow once and print how each step ended, and why."""
    app = OAutom()
    flow = Flow('failures', app=app)
    flaky = PythonExecution('flaky', flow=flow, function=fail_once, retries=2, retry_delay=0.1)
    slow = BashExecution('slow', flow=flow, command='sleep 30', timeout=0.2)
    load = PythonExecution('load', flow=flow, function=lambda ctx: None)
    alert = PythonExecution('alert', flow=flow, trigger_rule='one_failed',
                            function=lambda ctx: ctx.log('something failed: telling someone'))
    clean_up = PythonExecution('clean up', flow=flow, trigger_rule='all_done',
                               function=lambda ctx: ctx.log('removing temporary files'))
    PythonExecution('independent', flow=flow, function=lambda ctx: {'fine': True})
    [flaky, slow] >> load >> clean_up
    [flaky, slow] >> alert >> clean_up
    vect = app.start('failures')
    app.run()
    print(repr(vect))
    for step in vect.status()['executions']:
        print(f"{step['name']:12} {step['state']:16} attempts={step['attempts']} "
              f"error={step['error']}")
    why = next(event['message'] for event in vect.events if event['step'] == 'load')
    print(f'why load did not run: {why}')  # a trigger rule's verdict names its causes
    print(f"the log of alert: {vect.log('alert')!r}")


if __name__ == '__main__':
    main()
