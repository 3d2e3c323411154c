"""oautom: a small, in-memory, Airflow-like DAG workflow engine, written to be read.

The core, five modules in reading order (about 900 lines, top to bottom):

    states.py     the states of a step and of a vect, and the allowed moves
    execution.py  a step: run(context) starts it, check() is polled, cancel()
    flow.py       a named DAG of steps, validated as a whole
    vect.py       one run of a flow: walks the DAG as the app ticks
    app.py        the engine: holds flows, starts vects, tick()

Then follow one tick through them, and the helpers they call, call by call:
README.md, "Follow one tick".

Each core module leans on small helpers, one concept each: step_run.py (one
step of one vect), step_options.py (retries, timeout and the other options
of a step, checked), answers.py (what run() and check() give back, read
strictly), failures.py (how a failed step's error is told), copies.py (the
copy of a step that an attempt runs on), rules.py (trigger rules), due.py
(when steps are next due), context.py (what a step sees), ancestry.py (who
is upstream of whom), loop.py (the loop over tick(); stop_signals.py: Ctrl-C
in it), plans.py and cron.py (schedules), events.py, logger.py (the `oautom`
logger, which never raises), registry.py (an app's flows, by name),
history.py (the kept vects), start_queue.py (max_parallel), graph.py
(cycles), params.py, clock.py (injected time), report.py, names.py,
errors.py, step_log.py and airflow_words.py (what a message says to an
Airflow user).

At the edges, the two ready-made steps: bash_execution.py (shell.py: one
process group; shell_files.py: its files; shell_arguments.py: what a shell
can be given; live_shells.py: those not done yet, killed at exit) and
python_execution.py (workers.py: the threads that run Python functions and
start and wait for shells).
Examples: `python3 -m oautom.examples.01_hello_world`, then 02, 03, ...
"""
import sys

if sys.version_info < (3, 11):  # said at once, not as an ImportError of enum.StrEnum
    raise ImportError(f'oautom needs Python 3.11 or newer; this is Python '
                      f'{".".join(map(str, sys.version_info[:3]))} ({sys.executable})')

# pylint: disable=wrong-import-position
from .app import OAutom, OAutomMode
from .bash_execution import BashExecution
from .errors import (FlowIntegrityError, InvalidParamsError, InvalidScheduleError, OAutomError,
                     UnknownExecutionError, UnknownFlowError, VectAlreadyRunningException)
from .execution import Execution, SkipExecution
from .flow import Flow
from .plans import Plan
from .python_execution import PythonExecution
from .states import ExecutionState, VectState
from .vect import Vect

__all__ = [
    'OAutom', 'OAutomMode', 'Flow', 'Execution', 'BashExecution', 'PythonExecution', 'Vect',
    'Plan',
    'ExecutionState', 'VectState', 'SkipExecution', 'OAutomError', 'FlowIntegrityError',
    'UnknownFlowError', 'VectAlreadyRunningException', 'InvalidScheduleError',
    'InvalidParamsError', 'UnknownExecutionError',
]
