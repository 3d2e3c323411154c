"""Numbered examples, each adding one idea. Run one with `python -m oautom.examples.NAME`.

    01_hello_world       one flow, one step, run in the foreground
    02_dependencies      a diamond: fan-out and join, outputs passed downstream
    03_custom_execution  your own Execution: a sensor that polls for a file
    04_step_by_step      step mode: tick by hand and watch what changed
    05_plans             a schedule in a background app
    06_failures          retries, a timeout, and trigger rules after a failure
    07_params            one flow, run with other params each time
    08_watch_a_log       a shell step's output, read while it still runs
    09_one_tick          one tick of the engine, call by call
"""
