"""A step log keeps the last LOG_LIMIT characters, with a marker where it was cut."""
import io
import sys
import threading

from oautom import step_log
import pytest

from oautom.step_log import LOG_LIMIT, PIECE_TEXTS, SLACK, StepLog, _tail, stream_tails


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


def test_a_shell_stream_cut_in_a_character_begins_on_the_next_whole_one(tmp_path):
    stdout, stderr = tmp_path / 'out', tmp_path / 'err'
    stdout.write_text('é' * LOG_LIMIT, encoding='utf-8')  # 2 bytes each
    stderr.write_text('x', encoding='utf-8')  # so that stdout keeps an odd count: cut in one
    out, _ = stream_tails(stdout, stderr)
    marker, text = out.split('\n', 1)
    assert '\ufffd' not in text and set(text) == {'é'}
    dropped = int(marker.split()[1])  # what the marker says was dropped, and what was kept,
    assert dropped + 2 * len(text) == 2 * LOG_LIMIT  # add up to the whole stream


def test_a_step_log_says_how_much_it_keeps_in_a_debugger():
    log = StepLog()
    log.write('x' * (LOG_LIMIT + SLACK + 1))
    assert repr(log) == f'<StepLog: {LOG_LIMIT} characters kept, {SLACK + 1} dropped>'


class Growing(io.BytesIO):
    """A file that a command still writes to: a megabyte more at each read."""

    def read(self, size=-1):
        end = self.tell()
        self.seek(0, io.SEEK_END)
        self.write(b'x' * 1_000_000)
        self.seek(end)
        return super().read(size)


def test_the_tail_of_a_file_still_being_written_is_no_longer_than_asked(tmp_path, monkeypatch):
    # A shell step's log is read while its command runs: a reader that read to the end of a
    # file that a fast writer kept appending to took 100 MB instead of its last 1 MiB
    monkeypatch.setattr(step_log, 'open', lambda *_: Growing(b'y' * 5000), raising=False)
    assert _tail(tmp_path / 'out', 'stdout', 1000) == \
        '[... 4000 earlier bytes of stdout dropped ...]\n' + 'y' * 1000


def test_the_tail_of_a_file_cut_since_it_was_measured_is_what_is_left(tmp_path):
    path = tmp_path / 'out'
    path.write_bytes(b'short')
    assert _tail(path, 'stdout', 100) == 'short'  # measured at 100 bytes, 5 left
    path.unlink()
    with pytest.raises(FileNotFoundError):  # removed: its text is lost, as shell_files.py says
        _tail(path, 'stdout', 100)
