"""Trigger rules: from its upstream steps' end states, may a waiting step run?

When upstream steps end, the vect counts them, then asks `decide()` about
each of their downstream steps (the steps that end in one advance of the
vect are all counted first). The answer is one of three:

    READY                     the step may start now
    None                      not decided yet: wait for more upstream steps
    skipped / upstream_failed the step can no longer run, and ends in that state

A rule decides as soon as its answer can no longer change: `all_success`
gives up at the first upstream failure, without waiting for the other
branches, but at a skip it waits for them all, since a failure still to
come would outweigh the skip. So how a step ends depends on how its
upstream steps ended, never on which of them ended first. "failed" below
counts failed and upstream_failed alike.

    rule          runs when                       otherwise, once it can no longer run
    all_success   every upstream succeeded        any failed: upstream_failed (at once);
                                                  else, once all ended, skipped
    all_failed    every upstream failed           skipped
    all_done      every upstream ended            (never)
    one_success   one upstream succeeded          any failed: upstream_failed; else skipped
    one_failed    one upstream failed             skipped
    none_failed   all ended, none failed          upstream_failed
"""
from .states import FAILED, ExecutionState

TRIGGER_RULES = ('all_success', 'all_failed', 'all_done', 'one_success', 'one_failed',
                 'none_failed')
READY = 'ready'

_SKIPPED = ExecutionState.skipped
_UPSTREAM_FAILED = ExecutionState.upstream_failed


def decide(rule, succeeded, failed, skipped, pending):  # pylint: disable=too-many-return-statements,too-many-branches
    """READY, None (wait) or the end state, from the counts of upstream end states.

    One `if` per row of the table above: a long function that reads as the table.
    """
    all_ended = pending == 0
    if rule == 'all_success':
        if failed:
            return _UPSTREAM_FAILED
        if not all_ended:
            return None
        return _SKIPPED if skipped else READY
    if rule == 'all_failed':
        if succeeded or skipped:
            return _SKIPPED
        return READY if all_ended else None
    if rule == 'all_done':
        return READY if all_ended else None
    if rule == 'one_success':
        if succeeded:
            return READY
        if not all_ended:
            return None
        return _UPSTREAM_FAILED if failed else _SKIPPED
    if rule == 'one_failed':
        if failed:
            return READY
        return _SKIPPED if all_ended else None
    # none_failed (step_options.checked_trigger_rule allows no rule outside TRIGGER_RULES)
    if failed:
        return _UPSTREAM_FAILED
    return READY if all_ended else None


def blame(step_run, verdict):
    """Why a step ended `verdict` by its rule: the upstream steps and states that decided it.
    The answer reads "upstream_failed by trigger rule all_success: upstream 'extract' failed,
    'load' upstream_failed"."""
    rule, upstream = step_run.options.trigger_rule, step_run.upstream
    if verdict is _UPSTREAM_FAILED:
        culprits = [up for up in upstream if up.state in FAILED]
    elif rule == 'all_success':
        culprits = [up for up in upstream if up.state is _SKIPPED]
    elif rule == 'all_failed':
        culprits = [up for up in upstream if up.has_ended() and up.state not in FAILED]
    else:  # one_success, one_failed: every upstream ended, none as the rule waited for
        culprits = upstream
    states = ', '.join(f'{up.name!r} {up.state.value}' for up in culprits)
    return f'{verdict.value} by trigger rule {rule}: upstream {states}'
