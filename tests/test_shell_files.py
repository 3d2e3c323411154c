"""A shell step's files: what a command may do to them, and what the engine then does.

A command runs as the engine's user and can reach its files: it may take
them away (chmod 000, umask 0777) or remove them. The engine gives itself back
its files, says in the step's log what it could not read, and the other steps
and flows go on. Root may read any file, so the tests of taking away run their
flow as the user `nobody` (with setpriv), or as themselves when not root.
"""
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from oautom import BashExecution, Flow, OAutom, OAutomMode, bash_execution, live_shells
from oautom import shell_files
from oautom.shell_files import (OUTPUTS_LIMIT, ShellTrouble, _tail, output_text,
                                 outputs_from, read_as_owner, stream_tails)
from oautom.step_log import LOG_LIMIT

REPO = Path(__file__).resolve().parent.parent


def run_flow(*commands, **options):
    """Run one flow of independent shell steps, named 1, 2, ...; return {name: its status
    dict, with its log under 'log'}."""
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('files', app=app)
    for number, command in enumerate(commands, 1):
        BashExecution(str(number), flow, command=command, **options)
    vect = app.start('files')
    app.run()
    return {step['name']: {**step, 'log': vect.log(step['name'])}
            for step in vect.status()['executions']}


def test_a_step_whose_files_another_removes_meanwhile_ends_by_its_exit_and_says_so(tmp_path):
    # A cleanup command (rm -rf /tmp/oautom-*) of one step used to wipe what another step
    # wrote, without a word: its log was empty, and its outputs gone
    removed = tmp_path / 'removed'
    steps = run_flow(f'echo before; while [ ! -e {removed} ]; do sleep 0.01; done; echo after',
                     f'rm -rf "$(dirname "$OAUTOM_OUTPUT")"; touch {removed}', timeout=10)
    assert steps['1']['state'] == 'success'  # exit 0: the contract's rule
    assert 'what the command wrote is lost: its file ' in steps['1']['log']
    assert 'leave the oautom-* folders in the temporary folder alone' in steps['1']['log']
    assert run_flow('echo "rows=3" >> "$OAUTOM_OUTPUT"')['1']['outputs'] == {'rows': '3'}


def test_a_shell_stream_cut_in_a_character_begins_on_the_next_whole_one(tmp_path):
    stdout, stderr = tmp_path / 'out', tmp_path / 'err'
    stdout.write_text('é' * LOG_LIMIT, encoding='utf-8')  # 2 bytes each
    stderr.write_text('x', encoding='utf-8')  # so that stdout keeps an odd count: cut in one
    out, _ = stream_tails(stdout, stderr)
    marker, text = out.split('\n', 1)
    assert '\ufffd' not in text and set(text) == {'é'}
    dropped = int(marker.split()[1])  # what the marker says was dropped, and what was kept,
    assert dropped + 2 * len(text) == 2 * LOG_LIMIT  # add up to the whole stream


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
    monkeypatch.setattr(shell_files, 'open', lambda *_: Growing(b'y' * 5000), raising=False)
    assert _tail(tmp_path / 'out', 'stdout', 1000, 5000) == \
        '[... 4000 earlier bytes of stdout dropped ...]\n' + 'y' * 1000


def test_a_stream_that_grows_after_it_was_measured_loses_none_of_its_head(tmp_path, monkeypatch):
    # A live read measured the file, then a command wrote more: the tail, counted from the
    # new end, cut the first lines and said they were dropped, though all of them fit
    stdout, stderr = tmp_path / 'out', tmp_path / 'err'
    stdout.write_text('line-1\nline-2\n')
    stderr.write_text('')
    measure = os.path.getsize

    def measured_then_written_to(path):
        size = measure(path)
        with open(path, 'a', encoding='utf-8') as file:
            file.write('line-3\n')
        return size
    monkeypatch.setattr(os.path, 'getsize', measured_then_written_to)
    assert stream_tails(stdout, stderr) == ('line-1\nline-2\n', '')  # line-3: the next read's


def test_the_tail_of_a_file_cut_since_it_was_measured_is_what_is_left(tmp_path):
    path = tmp_path / 'out'
    path.write_bytes(b'short')
    assert _tail(path, 'stdout', 100, 100) == 'short'  # measured at 100 bytes, 5 left
    path.unlink()
    with pytest.raises(FileNotFoundError):  # removed: its text is lost (read_as_owner says so)
        _tail(path, 'stdout', 100, 100)


@pytest.mark.parametrize('written, told', [
    (b'city=caf\xe9\n', 'byte 0xe9 at 8 is not'),
    (b'\xff\xfea\x00=\x001\x00', 'byte 0xff at 0 is not')],  # UTF-16
    ids=['latin-1', 'utf-16'])
def test_outputs_that_are_not_utf_8_fail_the_step_instead_of_being_changed(tmp_path, written,
                                                                           told):
    (tmp_path / 'out').write_bytes(written)
    with pytest.raises(ShellTrouble, match=f'OAUTOM_OUTPUT is not UTF-8 text: {told}; write'):
        output_text(str(tmp_path / 'out'))


def test_a_byte_order_mark_before_a_later_line_is_no_part_of_its_name():
    command = "printf 'a=1\\n' >> \"$OAUTOM_OUTPUT\"; printf '\\357\\273\\277b=2\\n' >> \"$OAUTOM_OUTPUT\""
    assert run_flow(command)['1']['outputs'] == {'a': '1', 'b': '2'}


def test_outputs_past_the_limit_still_fail_the_step(tmp_path):
    (tmp_path / 'out').write_bytes(b'x' * (OUTPUTS_LIMIT + 1))
    with pytest.raises(ShellTrouble, match='holds more than 1 MiB'):
        output_text(str(tmp_path / 'out'))


def test_outputs_of_exactly_the_limit_are_read(tmp_path):
    (tmp_path / 'out').write_bytes(b'x' * OUTPUTS_LIMIT)
    assert len(output_text(str(tmp_path / 'out'))) == OUTPUTS_LIMIT


def test_stderr_keeps_the_room_that_a_short_stdout_leaves_in_the_log(tmp_path):
    budget = LOG_LIMIT - 4096  # (stream_tails' room for both)
    (tmp_path / 'out').write_text('')
    (tmp_path / 'err').write_text('e' * (budget * 3 // 4))  # more than half the room
    stdout, stderr = stream_tails(tmp_path / 'out', tmp_path / 'err')
    assert stdout == '' and stderr == 'e' * (budget * 3 // 4)  # whole: no marker


@pytest.mark.parametrize('count, more', [(3, False), (4, True)])
def test_the_log_names_three_ignored_lines_and_says_when_there_are_more(count, more):
    said = []
    assert outputs_from('\n'.join(f'line {n}' for n in range(count)) + '\nk=v\n',
                        said.append) == {'k': 'v'}
    assert said[0].endswith(", ...; write one key=value per line]") is more


def test_a_shell_forgotten_once_released_and_none_started_once_closed():
    shells = live_shells.LiveShells()
    shell = shells.start('true', {}, None)
    shell.wait()
    shells.release(shell)
    assert shell not in shells._shells  # pylint: disable=protected-access
    shells.kill_all()  # what atexit does
    with pytest.raises(RuntimeError, match='the interpreter is exiting'):
        shells.start('true', {}, None)


def test_a_file_that_cannot_be_read_again_is_said_lost(tmp_path):
    with pytest.raises(ShellTrouble, match=r"its file .*gone could not be read \(No such file"):
        read_as_owner(lambda path: Path(path).read_text(), str(tmp_path / 'gone'))
    reads = []

    def refused_then_read(path):
        reads.append(path)
        if len(reads) == 1:
            raise PermissionError(13, 'Permission denied', path)
        return 'read'
    assert read_as_owner(refused_then_read, str(tmp_path / 'file')) == 'read'  # given back


# -- as a user who is not root ------------------------------------------------------------

AS_NOBODY = '''
import json, os, sys, time
from oautom import BashExecution, Flow, OAutom, OAutomMode, PythonExecution
from oautom import live_shells

closed, taken, started = sys.argv[1:]  # a folder it may not enter, and two marks to make
app = OAutom(mode=OAutomMode.foreground)
flow = Flow('taken', app=app)
# It takes the folder away, then waits until another shell has started meanwhile
taker = BashExecution('taker', flow, timeout=10, command=(
    f'echo hello; chmod 000 "$(dirname "$OAUTOM_OUTPUT")"; touch {taken}; '
    f'while [ ! -e {started} ]; do sleep 0.01; done'))
after = BashExecution('after', flow, command='echo "rows=3" >> "$OAUTOM_OUTPUT"')
masked = BashExecution('masked', flow, command='umask 0777; echo "cols=4" >> "$OAUTOM_OUTPUT"')
waiter = PythonExecution('waiter', flow, timeout=10, function=lambda context: [
    time.sleep(0.01) for _ in iter(lambda: os.path.exists(taken), True)])
starter = BashExecution('starter', flow, command=f'touch {started}; echo "n=1" >> "$OAUTOM_OUTPUT"')
BashExecution('closed', flow, command='true', cwd=closed)
taker >> after >> masked
waiter >> starter
vect = app.start('taken')
app.run()
os.chmod(live_shells.LIVE._folder, 0)  # taken away after the last shell: the exit gives it back
print(json.dumps({'uid': os.geteuid(),
                  'steps': {step['name']: [step['state'], step['outputs'], step['error'],
                                           vect.log(step['name'])]
                            for step in vect.status()['executions']}}))
'''


@pytest.fixture(name='as_nobody')
def fixture_as_nobody():
    """The command that runs a Python program as a user who is not root: `nobody`, through
    setpriv, when the tests run as root; else the tests' own user."""
    if os.geteuid() != 0:
        return [sys.executable]
    setpriv = shutil.which('setpriv')
    as_nobody = [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', sys.executable]
    if setpriv is None or subprocess.run(as_nobody + ['-c', 'import oautom'], check=False,
                                         capture_output=True,
                                         env={'PYTHONPATH': str(REPO)}).returncode:
        pytest.skip('no way to run this Python as a user who is not root (setpriv, and a '
                    'Python and a clone that user may read)')
    return as_nobody


def remove_tree(path):
    """Remove the folder at `path` and all in it, whatever modes a command gave them."""
    for folder, _, _ in os.walk(path):  # top down: each folder is opened before it is entered
        for inside in os.scandir(folder):
            if inside.is_dir(follow_symlinks=False):
                os.chmod(inside.path, 0o700)
    shutil.rmtree(path)


def test_a_command_that_takes_its_files_away_stops_neither_it_nor_the_others(as_nobody):
    temporary = tempfile.mkdtemp()  # the child's TMPDIR, which it may write in
    os.chmod(temporary, 0o777)
    closed = os.path.join(temporary, 'closed')  # only its owner may enter it: root, or this
    os.mkdir(closed, 0o000 if os.geteuid() else 0o700)  # user once it lets no one in
    marks = [os.path.join(temporary, name) for name in ('taken', 'started')]
    try:
        done = subprocess.run(as_nobody + ['-c', AS_NOBODY, closed, *marks],
                              capture_output=True, text=True, timeout=60, check=False,
                              cwd=temporary, env={'PYTHONPATH': str(REPO), 'TMPDIR': temporary,
                                                  'PATH': os.environ['PATH']})
        left = [name for name in os.listdir(temporary) if name.startswith('oautom-')]
    finally:
        os.chmod(closed, 0o700)
        remove_tree(temporary)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result['uid'] != 0
    steps = result['steps']
    # Its folder taken away (chmod 000), the engine gives it back: its own output is read,
    # and the shells that start meanwhile or next start (they used to fail, every one of
    # them, in every flow)
    assert steps['taker'][0] == 'success' and 'hello' in steps['taker'][3]
    assert steps['starter'][:2] == ['success', {'n': '1'}]
    assert steps['after'][:2] == ['success', {'rows': '3'}]
    # A file made unreadable by a umask of 0777 is given back too: its outputs are read
    assert steps['masked'][:2] == ['success', {'cols': '4'}]
    assert steps['closed'][0] == 'failed'
    assert steps['closed'][2] == (f'cwd {closed!r} is a folder this user (uid '
                                  f"{result['uid']}) may not enter; give a folder this user "
                                  'may enter, or allow it: chmod u+x (or o+x) on that folder')
    assert not left  # removed at exit, though taken away


def test_a_temporary_folder_the_engine_cannot_write_in_is_named_with_the_fix(monkeypatch):
    monkeypatch.setattr(tempfile, 'tempdir', '/proc')  # no one may make a folder there
    monkeypatch.setattr(bash_execution, 'LIVE', live_shells.LiveShells())  # none made yet
    step = run_flow('true')['1']
    assert step['state'] == 'failed'
    assert step['error'].startswith('the command could not be started: oautom could not make '
                                    'a folder for its files in /proc (')
    assert step['error'].endswith('); set TMPDIR to a folder this user may write')


def test_a_relative_temporary_folder_still_gives_a_step_in_another_folder_its_outputs(
        tmp_path, monkeypatch):
    # Python 3.11's mkdtemp() gives a relative path for a relative tempdir: a command working
    # elsewhere (cwd=) could not write its outputs there
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'relative').mkdir()
    (tmp_path / 'elsewhere').mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', 'relative')
    monkeypatch.setattr(bash_execution, 'LIVE', live_shells.LiveShells())
    app = OAutom(mode=OAutomMode.foreground)
    BashExecution('cmd', Flow('f', app=app), command='echo "rows=3" >> "$OAUTOM_OUTPUT"',
                  cwd=str(tmp_path / 'elsewhere'))
    vect = app.start('f')
    app.run()
    assert vect.status()['executions'][0]['outputs'] == {'rows': '3'}
    bash_execution.LIVE.kill_all()


def test_a_link_put_in_place_of_the_folder_is_not_followed_at_exit(tmp_path):
    # Removed by a command (rm -rf /tmp/oautom-*), then replaced by a link: the engine gave
    # its mode back to whatever the link pointed to (as root, any folder of the machine)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    shells = live_shells.LiveShells()
    shell = shells.start('true', {}, None)
    shell.wait()
    shells.release(shell)
    folder = shells._folder  # pylint: disable=protected-access
    shutil.rmtree(folder)
    os.symlink(elsewhere, folder)
    try:
        shells.kill_all()  # what atexit does
        assert (elsewhere.stat().st_mode & 0o777, os.path.islink(folder)) == (0o755, True)
    finally:
        os.unlink(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason='only root can give a file to another user')
def test_what_another_user_owns_is_not_given_back(tmp_path):
    # Put in place of a shell's file: root could change its mode; it is not the engine's
    theirs = tmp_path / 'theirs'
    theirs.write_text('x')
    theirs.chmod(0o000)
    os.chown(theirs, 65534, 65534)
    shell_files.give_back(str(tmp_path), [str(theirs)])
    assert theirs.stat().st_mode & 0o777 == 0


def test_a_shell_file_is_new_and_its_owners_alone(tmp_path):
    paths = {}
    os.close(shell_files.new_file(paths, str(tmp_path / '1'), 'stdout'))
    assert os.stat(paths['stdout']).st_mode & 0o777 == 0o600
    target = tmp_path / 'elsewhere'
    target.write_text('keep')
    os.symlink(target, tmp_path / '2.stdout')  # planted by a process that escaped a step
    with pytest.raises(FileExistsError):
        shell_files.new_file({}, str(tmp_path / '2'), 'stdout')
    assert target.read_text() == 'keep'


def test_two_big_streams_together_fit_in_one_step_log(tmp_path):
    (tmp_path / 'out').write_text('o' * LOG_LIMIT)
    (tmp_path / 'err').write_text('e' * LOG_LIMIT)
    stdout, stderr = stream_tails(tmp_path / 'out', tmp_path / 'err')
    assert len(stdout) + len(stderr) <= LOG_LIMIT - 4096 + 200  # (two markers)
    assert stdout.endswith('o' * 1000) and stderr.endswith('e' * 1000)
