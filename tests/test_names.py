"""Names: what a flow or step may be called, and how messages show names and counts."""
from oautom.names import MAX_LENGTH, counted, shown_name


def test_a_count_is_singular_for_one_only():
    assert [counted(n, 'step') for n in (0, 1, 2)] == ['0 steps', '1 step', '2 steps']


def test_a_name_of_the_longest_length_allowed_is_shown_whole():
    longest = 'a' * MAX_LENGTH
    assert shown_name(longest) == repr(longest)
    assert shown_name(longest + 'a').endswith(f'({MAX_LENGTH + 1} characters)')
