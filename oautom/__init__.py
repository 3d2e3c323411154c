"""oautom: a small, in-memory, Airflow-like DAG workflow engine, written to be read.

Reading order (about 1,000 lines, top to bottom):

    states.py     the states of a step and of a vect, and the allowed moves
    execution.py  a step: run(context) starts it, check() is polled, cancel()
    flow.py       a named DAG of steps, validated as a whole (graph.py: cycles)
    vect.py       one run of a flow: StepRuns (step_run.py), trigger rules (rules.py)
    app.py        the engine: start vects and tick() (loop.py: the loop over tick())

At the edges: bash_execution.py and python_execution.py (the two ready-made
steps), context.py (what a step sees), params.py, clock.py (injected time),
report.py, names.py and errors.py. Examples: `python -m oautom.examples.01_hello_world`.
"""
from .app import OAutom, OAutomMode
from .bash_execution import BashExecution
from .errors import (FlowIntegrityError, InvalidParamsError, InvalidScheduleError, OAutomError,
                     UnknownFlowError, VectAlreadyRunningException)
from .execution import Execution, SkipExecution
from .flow import Flow
from .python_execution import PythonExecution
from .states import ExecutionState, VectState
from .vect import Vect

__all__ = [
    'OAutom', 'OAutomMode', 'Flow', 'Execution', 'BashExecution', 'PythonExecution', 'Vect',
    'ExecutionState', 'VectState', 'SkipExecution', 'OAutomError', 'FlowIntegrityError',
    'UnknownFlowError', 'VectAlreadyRunningException', 'InvalidScheduleError',
    'InvalidParamsError',
]
