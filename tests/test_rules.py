"""Trigger rules, as a table: upstream end states -> what the waiting step does.

Each row: rule, the states of the upstream steps that have ended, how many
have not ended yet, and the verdict: 'ready', None (wait) or the end state.
"""
import pytest

from oautom.rules import READY, TRIGGER_RULES, decide

ROWS = [
    # rule          succeeded failed skipped pending  verdict
    ('all_success', 2, 0, 0, 0, READY),
    ('all_success', 1, 0, 0, 1, None),
    ('all_success', 1, 1, 0, 1, 'upstream_failed'),   # gives up at the first failure
    ('all_success', 1, 0, 1, 0, 'skipped'),
    ('all_success', 0, 0, 1, 1, None),                # a failure to come would outweigh it
    ('all_success', 0, 1, 1, 0, 'upstream_failed'),   # failed wins over skipped
    ('all_failed', 0, 2, 0, 0, READY),
    ('all_failed', 0, 1, 0, 1, None),
    ('all_failed', 1, 1, 0, 0, 'skipped'),
    ('all_failed', 0, 0, 1, 1, 'skipped'),
    ('all_done', 1, 1, 1, 0, READY),
    ('all_done', 1, 1, 0, 1, None),
    ('one_success', 1, 0, 0, 2, READY),               # runs as soon as one succeeded
    ('one_success', 0, 1, 0, 1, None),
    ('one_success', 0, 1, 1, 0, 'upstream_failed'),
    ('one_success', 0, 0, 2, 0, 'skipped'),
    ('one_failed', 0, 1, 0, 2, READY),                # runs as soon as one failed
    ('one_failed', 1, 0, 0, 1, None),
    ('one_failed', 1, 0, 1, 0, 'skipped'),
    ('none_failed', 1, 0, 1, 0, READY),               # skipped upstream is fine
    ('none_failed', 1, 0, 0, 1, None),
    ('none_failed', 1, 1, 0, 1, 'upstream_failed'),
]


@pytest.mark.parametrize('rule, succeeded, failed, skipped, pending, verdict', ROWS)
def test_trigger_rule_table(rule, succeeded, failed, skipped, pending, verdict):
    assert decide(rule, succeeded, failed, skipped, pending) == verdict


def test_every_rule_has_rows():
    assert {row[0] for row in ROWS} == set(TRIGGER_RULES)
