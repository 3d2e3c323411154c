"""Airflow's words, and where each one is in oautom.

oautom is learnt on the way to Airflow, and some of its users come from
there. What Airflow takes and oautom does not is refused, as any wrong word
is, and the message then says what to write here instead. This module holds
those hints, so that the modules that refuse stay about oautom:

    OPERATOR_OPTIONS    a step's options: execution_timeout=, on_failure_callback=...
                        (step_options.py)
    argument_hint()     PythonExecution(python_callable=...), BashExecution(bash_command=...)
                        (python_execution.py, bash_execution.py)
    LEFT_OUT_RULES      the trigger rules oautom leaves out: all_skipped, always...
                        (and the nearest of oautom's, for some: LEFT_OUT_RULE_HINTS)
                        (step_options.py)
    dag_option_hint()   Flow(schedule=..., catchup=..., default_args=...)  (flow.py)
    plan_option_hint()  app.plan(schedule='@daily'), schedule_interval=...  (plans.py)
    template_hint()     {{ params.day }} in a shell command: not filled in yet
                        (bash_execution.py, which warns)
    timedelta_hint()    timeout=timedelta(minutes=5), app.plan(hours=timedelta(...))
                        (step_options.py, plans.py)

A hint that goes with one refusal only stays beside it (context['ti'] in
context.py, `with Flow(...)` in flow.py).
"""
import re

from .clock import seconds_text
from .cron import PRESETS, Cron
from .errors import InvalidScheduleError  # (Cron's, for an expression it refuses)

_CALLBACKS = ('oautom steps take no callbacks: app.subscribe(callback) gets every event, '
              'its failures and successes too; ')
_ARGUMENTS = ("a PythonExecution's function is called as function(context): give it more "
              'with functools.partial(f, name=value), or read context.params; ')
OPERATOR_OPTIONS = {  # an option of Airflow's operators -> the hint that ends in what to write
    'execution_timeout': "Airflow's execution_timeout is timeout here, in seconds; ",
    **dict.fromkeys(('on_failure_callback', 'on_success_callback', 'on_retry_callback',
                     'on_execute_callback'), _CALLBACKS),
    **dict.fromkeys(('op_kwargs', 'op_args', 'provide_context'), _ARGUMENTS),
    'start_date': 'a step has no schedule: app.plan() starts its flow, from now on; ',
    'depends_on_past': 'a vect knows nothing of the vects before it; ',
    'pool': 'OAutom(max_parallel=N) bounds the steps that run at once, in every flow; '}

# What a step class needs given, which Airflow names otherwise (ours -> Airflow's): each has a
# default of None only so that a step made without it is told so in words (argument_hint)
NEEDED_ARGUMENTS = {'function': 'python_callable', 'command': 'bash_command'}


def argument_hint(options, argument):
    """"Airflow's python_callable= is function= here; " if the `options` a step was given
    hold Airflow's name for its `argument`, else ''."""
    airflow = NEEDED_ARGUMENTS[argument]
    return f"Airflow's {airflow}= is {argument}= here; " if airflow in options else ''


_NEAREST_ALL_DONE = 'all_done is the nearest of them (it waits for every upstream step to end); '
_NEAREST_NONE_FAILED = ('none_failed is the nearest of them (it runs when every upstream step '
                        'was skipped, too); ')
LEFT_OUT_RULE_HINTS = {'always': _NEAREST_ALL_DONE, 'dummy': _NEAREST_ALL_DONE,
                       'none_failed_min_one_success': _NEAREST_NONE_FAILED,
                       'none_failed_or_skipped': _NEAREST_NONE_FAILED}
# Said to be left out, rather than corrected to a near name: all_skipped is far from all_failed
LEFT_OUT_RULES = ('all_done_setup_success', 'all_done_min_one_success', 'all_skipped',
                  'one_done', 'none_skipped', 'none_failed_or_skipped',
                  'none_failed_min_one_success', 'always', 'dummy')

_SCHEDULES = ('schedule', 'schedule_interval', 'timetable')
_NO_CATCH_UP = 'a plan fires from now on, and never catches up'


def dag_option_hint(flow_name, option, value):
    """The hint for an option of Airflow's DAG given to Flow(), or '' for any other."""
    if option in _SCHEDULES:
        fix = schedule_fix(value)
        if fix is None:
            return f'a flow runs when app.start({flow_name!r}) is called; '
        return (f'a flow has no schedule of its own: app.plan({flow_name!r}, {fix}) starts it '
                'on one; ')
    if option in ('start_date', 'catchup'):
        return f'a flow has no schedule of its own, and app.plan() takes none: {_NO_CATCH_UP}; '
    if option == 'default_args':
        return 'each step takes its own options (retries=, timeout=...); '
    return ''


def plan_option_hint(option, value):
    """The message for an option of Airflow's DAG given to app.plan(), or None for any other."""
    if option in _SCHEDULES:
        fix = schedule_fix(value)
        return f"app.plan() takes no {option}= (Airflow's DAG does); " + (
            'a flow needs no plan to run: app.start() runs it' if fix is None else f'give {fix}')
    if option in ('start_date', 'catchup'):
        return f'app.plan() takes no {option}=: {_NO_CATCH_UP}'
    return None


def timedelta_hint(value, keyword='', above_zero=False):
    """'; oautom takes numbers where Airflow takes a timedelta: give 300' for a timedelta of
    5 minutes (`keyword` goes before the number: 'seconds=' gives 'give seconds=300'), or ''
    for anything else, and for a timedelta the option would refuse as seconds too (below 0,
    or 0 if `above_zero`)."""
    seconds = value.total_seconds() if hasattr(value, 'total_seconds') else -1
    if seconds < 0 or above_zero and seconds == 0:
        return ''
    return f'; oautom takes numbers where Airflow takes a timedelta: give {keyword}' \
           f'{seconds_text(seconds)}'


def schedule_fix(value):
    """The arguments of app.plan(), as text, for a schedule that Airflow's DAG was given
    (cron='0 0 * * *' for '@daily'; the form of a cron expression for one that cron= would
    refuse too: '@reboot', 6 fields), or None for no schedule at all (None, '@once')."""
    if value is None or isinstance(value, str) and value.strip().lower() in ('@once',
                                                                           '@continuous'):
        return None
    if isinstance(value, str):
        expression = PRESETS.get(value.strip().lower(), value)
        try:
            Cron(expression)
        except InvalidScheduleError:  # '@reboot', 6 fields: not one to suggest
            return "cron='minute hour day-of-month month day-of-week'"
        return f'cron={expression!r}'
    seconds = value.total_seconds() if hasattr(value, 'total_seconds') else 0  # a timedelta
    return f'seconds={seconds_text(seconds)}' if seconds > 0 else "cron='...' or hours=..."


# As the contract opens one: `{{`, maybe spaces, a letter or `_` (`{{.Names}}` is plain text)
_PLACEHOLDER = re.compile(r'\{\{\s*[A-Za-z_][^{}\n]{0,60}(\}\})?')


def template_hint(step_name, command):
    """The warning for a shell command that holds a template placeholder, or None. Templates
    are Airflow's way of giving a command its values, and oautom's contract has them, but
    they are not built yet: the shell gets the braces as written."""
    placeholder = _PLACEHOLDER.search(command)
    if placeholder is None:
        return None
    return (f'step {step_name!r}: its command holds {placeholder.group()!r}, a template as '
            'Airflow writes them; oautom does not fill in templates yet, so the shell gets it '
            'as written. Give a fixed value through env=; a step that needs params or outputs '
            'is best a PythonExecution (context.params, context.outputs)')
