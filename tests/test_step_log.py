"""A step log keeps the last LOG_LIMIT characters, with a marker where it was cut."""
import sys
import threading

import pytest

from oautom.step_log import LOG_LIMIT, PIECE_TEXTS, SLACK, StepLog, output_so_far


def test_small_log_is_kept_whole():
    log = StepLog()
    log.write('one\n')
    log.write('two\n')
    assert log.text() == 'one\ntwo\n'


def test_big_log_keeps_its_tail_behind_a_marker():
    log = StepLog()
    log.write('a' * LOG_LIMIT)
    log.write('b' * 10)
    text = log.text()
    assert text.startswith('[... 10 earlier characters dropped')
    assert text.endswith('a' * (LOG_LIMIT - 10) + 'b' * 10)
    assert len(text.split('\n', 1)[1]) == LOG_LIMIT


def test_one_huge_write_is_cut_to_its_tail():
    log = StepLog()
    log.write('x' * (LOG_LIMIT + 5) + 'END')
    kept = log.text().split('\n', 1)[1]
    assert len(kept) == LOG_LIMIT and kept.endswith('END')


def test_concurrent_writers_lose_nothing_under_the_limit():
    log = StepLog()
    threads = [threading.Thread(target=lambda: [log.write('z') for _ in range(1000)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log.text() == 'z' * 4000


def test_concurrent_writers_past_the_limit_keep_exactly_the_limit_and_count_the_rest():
    log, line = StepLog(), 'x' * 99 + '\n'
    writes = LOG_LIMIT // len(line)  # each thread writes a whole log's worth: together, four
    threads = [threading.Thread(target=lambda: [log.write(line) for _ in range(writes)])
               for _ in range(4)]  # so the oldest text is dropped some 24 times (every SLACK)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: races show
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    marker, kept = log.text().split('\n', 1)
    dropped = 4 * writes * len(line) - LOG_LIMIT
    assert marker == (f'[... {dropped} earlier characters dropped: a step keeps the last '
                      f'{LOG_LIMIT} ...]')
    assert len(kept) == LOG_LIMIT and set(kept.splitlines()[1:]) == {line[:-1]}


def test_small_writes_after_a_big_one_keep_the_exact_tail_in_bounded_memory():
    log = StepLog()
    log.write('a' * LOG_LIMIT)
    lines = [f'{i}\n' for i in range(100000)]  # 589,890 characters: several SLACKs
    for line in lines:
        log.write(line)
        assert log._size <= LOG_LIMIT + SLACK + len(line)  # pylint: disable=protected-access
    written = 'a' * LOG_LIMIT + ''.join(lines)
    marker, kept = log.text().split('\n', 1)
    assert kept == written[-LOG_LIMIT:]
    assert marker.startswith(f'[... {len(written) - LOG_LIMIT} earlier characters dropped')


def test_many_short_lines_are_kept_in_few_pieces_and_exactly():
    log = StepLog()
    lines = [f'{i % 10}\n' for i in range(700_000)]  # more than the limit, in short lines
    for line in lines:
        log.write(line)
    pieces = len(log._chunks) + len(log._recent)  # pylint: disable=protected-access
    assert pieces <= len(lines) // PIECE_TEXTS + 1  # not a str a line, at 50 bytes each
    written = ''.join(lines)
    assert log.text() == (f'[... {len(written) - LOG_LIMIT} earlier characters dropped: a step '
                          f'keeps the last {LOG_LIMIT} ...]\n{written[-LOG_LIMIT:]}')


def test_a_step_log_says_how_much_it_keeps_in_a_debugger():
    log = StepLog()
    log.write('x' * (LOG_LIMIT + SLACK + 1))
    assert repr(log) == f'<StepLog: {LOG_LIMIT} characters kept, {SLACK + 1} dropped>'


def test_a_ctrl_c_while_a_log_reads_the_output_so_far_is_not_swallowed():
    class Attempt:  # pylint: disable=too-few-public-methods
        def output_so_far(self):
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        output_so_far(Attempt())
