"""BashExecution: a step that runs `/bin/sh -c COMMAND` in a process group of its own.

These tests start real shells and read as its contract (API.md, section 2):

- the shell leads its own process group; `env` is added to the inherited
  environment, `cwd` is its working directory, and stdin is empty;
- stdout and stderr are kept in the step's log, which keeps the last 1 MiB and
  says, in a marker, that older text was dropped;
- exit 0 succeeds, exit 99 skips the step, any other exit fails it with the
  exit code and the last lines of stderr;
- every `key=value` line appended to the file named by $OAUTOM_OUTPUT becomes
  an output (a string), which a downstream step reads in `context.outputs`;
- the step ends when the shell exits; whatever it left running in its group
  is killed then, and on a timeout, on `vect.cancel()` / `app.stop()` and at
  interpreter exit.

Waiting for a real process is a short poll against a deadline, never a long sleep.
"""
import contextlib
import copy
import errno
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import pytest

from oautom import (BashExecution, Flow, FlowIntegrityError, OAutom, OAutomMode,
                    PythonExecution, VectState, bash_execution, live_shells, shell_arguments)
from oautom.clock import FakeClock
from helpers import states

DEADLINE = 3.0     # seconds to wait for something that should happen within milliseconds
MIB = 1024 * 1024  # what a step's log keeps
REPO = Path(__file__).resolve().parent.parent

# The shell starts a background child, writes both pids, then waits for the child.
SHELL_WITH_CHILD = 'sleep 30 & echo $! > child.pid; echo $$ > shell.pid; wait'


# -- helpers -------------------------------------------------------------------------

def run_command(command, **options):
    """Run a one-step flow in the foreground until it ends; return its vect."""
    app = OAutom(mode=OAutomMode.foreground)
    BashExecution('cmd', Flow('bash', app=app), command=command, **options)
    vect = app.start('bash')
    app.run()
    return vect


def step_status(vect, name='cmd'):
    """The status dict of one step of `vect`."""
    return next(step for step in vect.status()['executions'] if step['name'] == name)


def wait_for(predicate, timeout=DEADLINE):
    """Poll `predicate` until it is true (return True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def read_pid(path):
    """The pid a shell wrote to `path` (waits until the whole line is there)."""
    assert wait_for(lambda: path.exists() and path.read_text().endswith('\n')), \
        f'{path.name} was never written'
    return int(path.read_text())


def read_pids(directory, leftovers):
    """The pids SHELL_WITH_CHILD wrote in `directory`: (shell, child), both watched."""
    return (leftovers(read_pid(directory / 'shell.pid')),
            leftovers(read_pid(directory / 'child.pid')))


def is_running(pid):
    """True while `pid` is a live process. A zombie counts as gone: it is dead, and an
    orphan's zombie may stay in the table (a container's init may never reap it)."""
    if os.path.isdir('/proc'):
        try:
            with open(f'/proc/{pid}/stat', encoding='ascii') as stat:
                return stat.read().rpartition(')')[2].split()[0] != 'Z'
        except (FileNotFoundError, ProcessLookupError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(name='background_app')
def fixture_background_app():
    """A background app, running; stopped at the end of the test."""
    app = OAutom(mode=OAutomMode.background)
    app.run()
    yield app
    app.stop()


@pytest.fixture(name='own_shells')
def fixture_own_shells(tmp_path, monkeypatch):
    """Shells of this test only, whose folder is made in the temporary folder this fixture
    returns: what they leave behind shows there, and nothing another test left does."""
    temporary = tmp_path / 'tmp'
    temporary.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(temporary))
    shells = live_shells.LiveShells()
    monkeypatch.setattr(bash_execution, 'LIVE', shells)
    yield temporary
    shells.kill_all()


@pytest.fixture(name='leftovers')
def fixture_leftovers():
    """`leftovers(pid)` returns pid, and kills it if it still runs after the test:
    a test that fails because a process survived must not leave it behind."""
    pids = []

    def watch(pid):
        pids.append(pid)
        return pid

    yield watch
    for pid in pids:
        if is_running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# -- the process ------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which('ps') is None, reason='needs ps')
def test_the_shell_leads_a_process_group_of_its_own():
    vect = run_command('echo "pid=$$" >> "$OAUTOM_OUTPUT"; '
                       'echo "pgid=$(ps -o pgid= -p $$ | tr -d " ")" >> "$OAUTOM_OUTPUT"')
    outputs = step_status(vect)['outputs']
    assert outputs['pgid'] == outputs['pid']
    assert int(outputs['pgid']) != os.getpgrp()


TERMINAL_SCRIPT = '''
from oautom import BashExecution, Flow, OAutom
app = OAutom()
BashExecution('ask', Flow('tty', app=app), command='read answer < /dev/tty', timeout=3)
vect = app.start('tty')
app.run()
print(vect.status()['executions'][0]['error'])
'''


# Python 3.12 and later warn of a fork in a process with threads (the suite's workers): the
# child only execs, which is safe.
@pytest.mark.filterwarnings('ignore:This process .* is multi-threaded:DeprecationWarning')
def test_a_command_that_asks_the_terminal_fails_at_once_instead_of_hanging():
    # The app runs with a terminal (a pseudo-terminal, as in an interactive shell); the
    # command has none, so its read fails, where it used to be stopped until its timeout.
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the pseudo-terminal is its controlling terminal
        try:
            os.execve(sys.executable, [sys.executable, '-c', TERMINAL_SCRIPT],
                      {**os.environ, 'PYTHONPATH': str(REPO)})
        finally:
            os._exit(1)  # never back into pytest, whatever happened
    output, deadline = b'', time.monotonic() + DEADLINE
    with contextlib.suppress(OSError):  # EIO once the child has exited
        while (left := deadline - time.monotonic()) > 0 and \
                select.select([terminal], [], [], left)[0] and (chunk := os.read(terminal, 4096)):
            output += chunk
    os.close(terminal)
    os.kill(pid, signal.SIGKILL)  # gone already, unless it hung
    os.waitpid(pid, 0)
    text = output.decode()
    assert 'the command failed with exit code' in text and '/dev/tty' in text, text


def test_env_is_added_to_the_inherited_environment(monkeypatch):
    monkeypatch.setenv('OAUTOM_TEST_INHERITED', 'from the test process')
    vect = run_command('echo "inherited=$OAUTOM_TEST_INHERITED" >> "$OAUTOM_OUTPUT"; '
                       'echo "added=$OAUTOM_TEST_ADDED" >> "$OAUTOM_OUTPUT"',
                       env={'OAUTOM_TEST_ADDED': 'from env'})
    assert step_status(vect)['outputs'] == {'inherited': 'from the test process',
                                            'added': 'from env'}


def test_env_wins_over_an_inherited_variable_of_the_same_name(monkeypatch):
    monkeypatch.setenv('OAUTOM_TEST_VALUE', 'inherited')
    vect = run_command('echo "value=$OAUTOM_TEST_VALUE" >> "$OAUTOM_OUTPUT"',
                       env={'OAUTOM_TEST_VALUE': 'given'})
    assert step_status(vect)['outputs'] == {'value': 'given'}


@pytest.mark.parametrize('env', [None, {'OAUTOM_TEST_ADDED': 'yes'}], ids=['inherited', 'env'])
def test_programs_the_command_starts_find_the_output_file_in_their_environment(env):
    vect = run_command('/usr/bin/env sh -c \'echo "child=yes" >> "$OAUTOM_OUTPUT"\'', env=env)
    assert step_status(vect)['outputs'] == {'child': 'yes'}


def test_the_step_gets_its_own_output_file_even_if_the_engine_has_the_variable(monkeypatch,
                                                                               tmp_path):
    monkeypatch.setenv('OAUTOM_OUTPUT', str(tmp_path / 'elsewhere'))
    vect = run_command('echo "rows=3" >> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'rows': '3'}
    assert not (tmp_path / 'elsewhere').exists()


def test_the_shell_numbers_the_lines_of_the_command_from_one():
    vect = run_command('true\nnot-a-command-anywhere')
    assert ' 2: not-a-command-anywhere' in step_status(vect)['error']


def test_env_does_not_leak_into_the_engines_process():
    run_command('true', env={'OAUTOM_TEST_ONLY_IN_STEP': 'yes'})
    assert 'OAUTOM_TEST_ONLY_IN_STEP' not in os.environ


@pytest.mark.parametrize('as_given', [lambda path: path, str, os.fsencode],
                         ids=['path', 'str', 'bytes'])
def test_cwd_is_the_shells_working_directory(tmp_path, as_given):
    vect = run_command('echo made > made.txt', cwd=as_given(tmp_path))
    assert vect.state is VectState.success
    assert (tmp_path / 'made.txt').read_text() == 'made\n'


def test_without_cwd_the_shell_works_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_command('echo made > made.txt')
    assert (tmp_path / 'made.txt').read_text() == 'made\n'


def test_stdin_is_empty_so_a_command_that_reads_it_does_not_hang():
    # The test process's own stdin becomes a pipe nobody writes to: a shell that
    # inherited it would block in `cat` until its timeout.
    read_end, write_end = os.pipe()
    saved_stdin = os.dup(0)
    os.dup2(read_end, 0)
    try:
        vect = run_command('cat', timeout=1)
    finally:
        os.dup2(saved_stdin, 0)
        for descriptor in (saved_stdin, read_end, write_end):
            os.close(descriptor)
    assert step_status(vect)['state'] == 'success'


def test_a_missing_cwd_fails_the_step_not_the_engine(tmp_path):
    vect = run_command('true', cwd=tmp_path / 'missing')
    assert vect.state is VectState.failed
    assert 'is not a directory' in step_status(vect)['error']


def test_a_finished_step_leaves_no_temporary_file(own_shells):
    run_command('echo hi; echo oops >&2; echo "rows=3" >> "$OAUTOM_OUTPUT"')
    [folder] = own_shells.iterdir()  # the shells' folder, made at the first start
    assert not list(folder.iterdir())


def test_a_step_whose_shell_cannot_start_leaves_no_temporary_file(own_shells, monkeypatch):
    def cannot_fork(*_args, **_options):
        raise OSError(errno.EAGAIN, 'Resource temporarily unavailable')
    monkeypatch.setattr(subprocess, 'Popen', cannot_fork)
    vect = run_command('true')
    assert 'the command could not be started' in step_status(vect)['error']
    [folder] = own_shells.iterdir()  # its stdout and stderr files were made, then removed
    assert not list(folder.iterdir())


def test_a_non_string_env_value_is_refused_at_construction_with_its_fix():
    with pytest.raises(FlowIntegrityError, match="env holds 'PORT': 8080; .* write 'PORT': '8080'$"):
        BashExecution('cmd', Flow('bash'), command='true', env={'PORT': 8080})


@pytest.mark.parametrize('env', [{'': 'x'}, {'A=B': 'x'}, {'A': 'x\0y'}, {'A': '\ud800'}])
def test_an_env_a_process_cannot_be_given_is_refused_at_construction(env):
    with pytest.raises(FlowIntegrityError, match="which a process cannot be given; a name needs"):
        BashExecution('cmd', Flow('bash'), command='true', env=env)


def test_env_names_that_sh_may_not_pass_on_are_warned_of_once(caplog, monkeypatch):
    # /bin/sh (dash) passes on no name but a shell variable's: MY-VAR would be lost unseen
    monkeypatch.setattr(shell_arguments, '_WARNED', set())  # none warned of yet
    monkeypatch.setenv('BASH_FUNC_f%%', '() { true; }')  # inherited as it is: not warned of
    env = {**os.environ, 'MY-VAR': 'x', 'OK_1': 'y', '1ST': 'z'}
    flow = Flow('bash')
    for name in ('one', 'two'):
        BashExecution(name, flow, command='true', env=env)
    assert [record.getMessage() for record in caplog.records] == [
        "step 'one': env names 'MY-VAR', '1ST' are no shell variable names: /bin/sh may not pass "
        "them on (dash does not); use letters, digits and '_', not first a digit"]


@pytest.mark.parametrize('env', [[('A', '1')], MappingProxyType({'A': '1'}), []],
                         ids=['pairs', 'mapping', 'empty'])
def test_env_may_be_anything_dict_takes(env):
    step = BashExecution('cmd', Flow('bash'), command='true', env=env)
    assert step.env == dict(env)


@pytest.mark.parametrize('options, told', [
    ({'env': 'X=1'}, "env must be a dict of names to values, not str 'X=1'"),
    ({'env': {'HOME': None}}, "env holds 'HOME': None; environment variable names and values "
                              "are text: write 'HOME': '' for an empty value, or leave the name "
                              "out"),
    ({'cwd': 5}, 'cwd must be the path of a folder, not int 5'),
    ({'command': 'echo a\0b'}, 'command must be a non-empty string of shell code, with no NUL'),
    ({'command': 'echo \ud800'}, 'command must be a non-empty string of shell code, with no NUL '
                                  'character or lone surrogate'),
])
def test_what_a_shell_cannot_be_given_is_refused_at_construction(options, told):
    with pytest.raises(FlowIntegrityError, match=re.escape(f"step 'cmd': {told}")):
        BashExecution('cmd', Flow('bash'), **{'command': 'true', **options})


@pytest.mark.parametrize('attribute, value, told', [
    ('env', 'X=1', "env must be a dict of names to values, not str 'X=1'"),
    ('env', {'PORT': 8080}, "env holds 'PORT': 8080; environment variable names and values are "
                            "text: write 'PORT': '8080'"),
    ('cwd', 5, 'cwd must be the path of a folder, not int 5'),
    ('command', None, 'command must be a non-empty string of shell code, with no NUL character '
                      'or lone surrogate, not None'),
])
def test_what_a_shell_cannot_be_given_set_after_the_step_was_made_fails_it_in_words(
        attribute, value, told):
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('bash', app=app)
    step = BashExecution('cmd', flow, command='true')
    setattr(step, attribute, value)  # as Airflow users set an operator's fields
    BashExecution('other', flow, command='true')
    vect = app.start('bash')
    app.run()
    assert (step_status(vect)['state'], step_status(vect)['error']) == (
        'failed', f'{told} (set after the step was made)')
    assert step_status(vect, 'other')['state'] == 'success'


def test_env_set_to_pairs_after_the_step_was_made_is_taken_as_its_constructor_takes_them():
    app = OAutom(mode=OAutomMode.foreground)
    step = BashExecution('cmd', Flow('bash', app=app), command='echo "v=$V" >> "$OAUTOM_OUTPUT"')
    step.env = [('V', 'from pairs')]
    vect = app.start('bash')
    app.run()
    assert step_status(vect)['outputs'] == {'v': 'from pairs'}


def test_outputs_written_with_a_byte_order_mark_have_their_names_as_written():
    vect = run_command("printf '\\357\\273\\277rows=3\\n' >> \"$OAUTOM_OUTPUT\"")
    assert step_status(vect)['outputs'] == {'rows': '3'}


def test_an_equals_sign_in_an_env_value_is_fine():
    vect = run_command('echo "v=$VALUE" >> "$OAUTOM_OUTPUT"', env={'VALUE': 'a=b'})
    assert step_status(vect)['outputs'] == {'v': 'a=b'}


# -- the log --------------------------------------------------------------------------

def test_the_log_shows_the_command_and_its_stdout():
    vect = run_command('echo hello; echo world')
    log = vect.log('cmd')
    assert 'echo hello; echo world' in log
    assert 'hello\nworld\n' in log


def test_stderr_is_kept_in_the_log():
    vect = run_command("printf '%s\\n' side ways >&2")
    assert 'side\nways\n' in vect.log('cmd')


# printf 'mark%s' ed: the log's first line, the command, does not hold the word it prints
def test_the_log_shows_a_running_command_s_output_so_far_and_all_of_it_once_ended(
        background_app, tmp_path):
    go = tmp_path / 'go'
    BashExecution('cmd', Flow('bash', app=background_app),
                  command=f"printf 'mark%s\\n' ed; printf 'warn%s\\n' ing >&2; "
                          f"while [ ! -e {go} ]; do sleep 0.01; done; printf 'la%s\\n' st")
    vect = background_app.start('bash')
    assert wait_for(lambda: 'warning' in vect.log('cmd'))
    assert vect.log('cmd').endswith('\nmarked\n[stderr]\nwarning\n'
                                    '[the command is still running]\n')
    go.touch()
    assert vect.wait(DEADLINE)
    assert vect.log('cmd').endswith('\nmarked\nlast\n[stderr]\nwarning\n[exit code 0]\n')


def test_a_command_s_output_shows_once_in_its_log_before_its_files_are_removed(
        own_shells, monkeypatch):
    # The files of a shell stay a moment after its output is logged: here, until the end
    monkeypatch.setattr(bash_execution.LIVE, 'release', lambda shell: None)
    app = OAutom(mode=OAutomMode.step)
    BashExecution('cmd', Flow('bash', app=app), command="printf 'mark%s\\n' ed")
    vect = app.start('bash')
    app.tick()
    assert wait_for(lambda: '[exit code 0]' in vect.log('cmd'))  # no tick saw it end yet
    assert vect.log('cmd').count('marked') == 1 and 'still running' not in vect.log('cmd')
    assert len(list(own_shells.glob('*/*.stdout'))) == 1


def test_a_command_s_output_once_seen_stays_in_every_later_read_of_its_log(background_app):
    BashExecution('cmd', Flow('bash', app=background_app), command="printf 'mark%s\\n' ed; "
                                                                   'sleep 0.01')
    lost = 0
    for _ in range(30):  # its end comes between the two reads of a log now and then
        vect, seen = background_app.start('bash'), False
        while not vect.ended():
            shown = vect.log('cmd').count('marked')
            lost += seen and shown != 1
            seen = seen or shown == 1
        assert vect.wait(DEADLINE) and vect.log('cmd').count('marked') == 1
    assert lost == 0


def test_a_log_read_while_commands_end_shows_each_output_once(background_app):
    flow, names = Flow('bash', app=background_app), [f's{i}' for i in range(20)]
    for name in names:
        BashExecution(name, flow, command="printf 'mark%s\\n' ed")
    vect = background_app.start('bash')
    while not vect.ended():
        for name in names:
            assert vect.log(name).count('marked') <= 1
    assert all(vect.log(name).count('marked') == 1 for name in names)


def test_the_log_of_a_subclass_whose_run_starts_no_shell_reads_as_any_log():
    class Flaky(BashExecution):  # fails before its shell starts: retrying, with its copy kept
        def run(self, context):
            raise RuntimeError('not yet')

    class DryRun(BashExecution):  # starts no shell at all, and runs on
        def run(self, context):
            context.log(f'would run: {self.command}')

        def check(self):
            return False

    app = OAutom(mode=OAutomMode.step, clock=FakeClock())
    flow = Flow('bash', app=app)
    Flaky('flaky', flow, command='true', retries=1, retry_delay=60)
    DryRun('dry', flow, command='true')
    vect = app.start('bash')
    app.tick()
    assert states(vect) == {'flaky': 'retrying', 'dry': 'running'}
    assert vect.log('flaky').endswith('[attempt 1 failed: RuntimeError: not yet]\n')
    assert vect.log('dry') == 'would run: true\n'


def test_the_log_keeps_the_last_mib_of_a_long_output_behind_a_marker():
    vect = run_command(r"printf 'FIRST\n'; head -c 1500000 /dev/zero | tr '\0' x; "
                       r"printf '\nLAST\n'")
    log = vect.log('cmd')
    assert len(log) <= MIB + 200
    assert 'dropped' in log.splitlines()[1]  # right after the command line
    assert 'x\nLAST\n' in log
    assert 'FIRST\n' not in log


def test_the_drop_marker_counts_all_the_text_cut_from_a_long_output():
    produced = len('FIRST\n') + 1_500_000 + len('\nLAST\n')
    vect = run_command(r"printf 'FIRST\n'; head -c 1500000 /dev/zero | tr '\0' x; "
                       r"printf '\nLAST\n'")
    log = vect.log('cmd')
    (marker,) = [line for line in log.splitlines() if 'dropped' in line]
    dropped = int(re.search(r'\d+', marker).group())
    kept = log.split(marker + '\n', 1)[1].removesuffix('[exit code 0]\n')
    assert kept.endswith('x\nLAST\n') and len(kept) <= MIB
    assert dropped + len(kept) == produced  # every byte is either kept or counted as dropped


# -- exit codes ---------------------------------------------------------------------------

def test_exit_0_succeeds():
    vect = run_command('exit 0')
    assert step_status(vect)['state'] == 'success'
    assert vect.state is VectState.success


def test_exit_99_skips_the_step_and_its_downstream():
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('bash', app=app)
    BashExecution('cmd', flow, command='exit 99') >> BashExecution('after', flow, command='true')
    vect = app.start('bash')
    app.run()
    assert step_status(vect)['state'] == 'skipped'
    assert step_status(vect, 'after')['state'] == 'skipped'
    assert vect.state is VectState.success


def test_another_exit_fails_with_the_exit_code_and_stderr():
    vect = run_command('echo "disk is full" >&2; exit 3')
    error = step_status(vect)['error']
    assert step_status(vect)['state'] == 'failed'
    assert 'exit code 3' in error
    assert 'disk is full' in error


def test_the_error_holds_only_the_last_lines_of_a_long_stderr():
    vect = run_command('for i in 01 02 03 04 05 06 07 08 09 10; do echo "line-$i" >&2; done; '
                       'exit 1')
    error = step_status(vect)['error']
    assert error.endswith('stderr:\nline-06\nline-07\nline-08\nline-09\nline-10')


def test_blank_lines_at_the_end_of_stderr_do_not_push_the_message_out_of_the_error():
    vect = run_command("echo 'real trouble' >&2; printf '\\n \\n\\n\\n\\n\\n' >&2; exit 1")
    assert step_status(vect)['error'] == (
        'the command failed with exit code 1; last lines of stderr:\nreal trouble')


def test_an_endless_stderr_line_is_cut_short_in_the_error_but_kept_in_the_log():
    vect = run_command('head -c 50000 /dev/zero | tr "\\0" e >&2; exit 3')
    error = step_status(vect)['error']
    assert error.startswith('the command failed with exit code 3; last lines of stderr:\n...')
    assert error.endswith('e' * 1000) and len(error) < 1100
    assert 'e' * 50000 in vect.log('cmd')


def test_a_stderr_tail_of_exactly_the_limit_is_shown_whole():
    tail = 'e' * bash_execution.STDERR_CHARS_IN_ERROR
    assert bash_execution._error_tail(tail) == tail  # pylint: disable=protected-access


def test_a_shell_killed_by_a_real_time_signal_names_it_too():
    vect = run_command('kill -s 37 $$')  # SIGRTMIN is 34 on Linux
    assert step_status(vect)['error'].endswith('the command was killed by signal SIGRTMIN+3 '
                                               '(no stderr)')
    assert '[killed by signal SIGRTMIN+3]' in vect.log('cmd')


def test_a_shell_killed_by_a_signal_fails_the_step_and_its_log_names_the_signal():
    vect = run_command('kill -KILL $$')
    assert step_status(vect)['state'] == 'failed'
    assert step_status(vect)['error'].endswith('the command was killed by signal SIGKILL (no stderr)')
    assert vect.log('cmd').endswith('[killed by signal SIGKILL]\n[attempt 1 failed: the command '
                                    'was killed by signal SIGKILL (no stderr)]\n')


# -- outputs -----------------------------------------------------------------------------

def test_key_value_lines_become_string_outputs():
    vect = run_command('echo "rows=3" >> "$OAUTOM_OUTPUT"; echo "day=monday" >> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'rows': '3', 'day': 'monday'}


def test_output_lines_that_are_not_key_value_are_ignored_and_the_log_names_them():
    vect = run_command('echo "just a note" >> "$OAUTOM_OUTPUT"; echo "a=1" >> "$OAUTOM_OUTPUT"; '
                       'echo >> "$OAUTOM_OUTPUT"; echo "=2" >> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'a': '1'}
    assert ("[$OAUTOM_OUTPUT: 2 line(s) ignored, not key=value: 'just a note', '=2'; "
            'write one key=value per line]') in vect.log('cmd')  # the blank line is no mistake


def test_the_log_names_the_first_few_ignored_output_lines_only():
    vect = run_command('for i in 1 2 3 4 5; do echo "note $i" >> "$OAUTOM_OUTPUT"; done')
    assert step_status(vect)['outputs'] == {}
    assert "5 line(s) ignored, not key=value: 'note 1', 'note 2', 'note 3', ...;" in \
        vect.log('cmd')


def test_an_ignored_output_line_too_long_to_show_is_cut_with_a_mark():
    vect = run_command('printf "%0100d\\n" 0 >> "$OAUTOM_OUTPUT"')
    assert f"not key=value: '{'0' * 80}'...; write" in vect.log('cmd')


def test_outputs_all_in_key_value_lines_leave_no_note_in_the_log():
    vect = run_command('echo "rows=3" >> "$OAUTOM_OUTPUT"; echo >> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'rows': '3'}
    assert 'ignored' not in vect.log('cmd')


def test_an_output_value_may_contain_equals_signs():
    vect = run_command('echo "query=a=1&b=2" >> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'query': 'a=1&b=2'}


def test_a_failed_command_publishes_no_outputs():
    vect = run_command('echo "rows=3" >> "$OAUTOM_OUTPUT"; exit 1')
    assert step_status(vect)['outputs'] == {}


@pytest.mark.parametrize('command', [
    'echo "a=1" >> "$OAUTOM_OUTPUT"; rm "$OAUTOM_OUTPUT"',
    'mkdir "$OAUTOM_OUTPUT"',
    'mkfifo "$OAUTOM_OUTPUT"',
    'ln -s /dev/zero "$OAUTOM_OUTPUT"',
], ids=['file removed', 'file replaced by a directory', 'a FIFO', 'a link to /dev/zero'])
def test_a_command_that_spoils_its_output_file_still_ends_publishing_nothing(
        background_app, tmp_path, monkeypatch, command):
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    BashExecution('cmd', Flow('bash', app=background_app), command=command)
    vect = background_app.start('bash')
    assert vect.wait(DEADLINE), 'the step never ended'
    assert step_status(vect)['state'] == 'success' and step_status(vect)['outputs'] == {}


BIG_OUTPUT = 'head -c 1100000 /dev/zero | tr "\\0" x | sed "s/^/big=/" >> "$OAUTOM_OUTPUT"'


def test_outputs_past_their_limit_fail_the_step_saying_where_big_data_goes():
    vect = run_command(BIG_OUTPUT)
    assert step_status(vect)['state'] == 'failed'
    assert step_status(vect)['error'].endswith(
        '$OAUTOM_OUTPUT holds more than 1 MiB; outputs are for small values: write big data '
        'to a file and publish its path')


def test_outputs_are_read_only_after_a_success_so_a_skip_or_failure_stays_itself():
    assert step_status(run_command(f'{BIG_OUTPUT}; exit 99'))['state'] == 'skipped'
    vect = run_command(f'{BIG_OUTPUT}; echo boom >&2; exit 3')
    assert step_status(vect)['error'] == ('the command failed with exit code 3; last lines of '
                                          'stderr:\nboom')


def test_output_lines_may_end_the_way_of_any_text_file():
    vect = run_command(r'printf "a=1\r\nb=2\rc=3\n" >> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'a': '1', 'b': '2', 'c': '3'}


def test_a_downstream_step_reads_the_outputs_in_its_context():
    def report(context):
        return {'total': int(context.outputs['extract']['rows']) * 2}

    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('bash', app=app)
    extract = BashExecution('extract', flow, command='echo "rows=3" >> "$OAUTOM_OUTPUT"')
    extract >> PythonExecution('report', flow, function=report)
    vect = app.start('bash')
    app.run()
    assert step_status(vect, 'report')['outputs'] == {'total': 6}


def test_the_downstream_starts_as_soon_as_the_shell_exits():
    # Without the wake at exit, the next check would wait for poll_interval (5 s).
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('bash', app=app)
    BashExecution('cmd', flow, command='sleep 0.1', poll_interval=5) >> \
        BashExecution('after', flow, command='true')
    vect = app.start('bash')
    began = time.monotonic()
    app.run()
    assert vect.state is VectState.success
    assert time.monotonic() - began < 2


# -- what the shell leaves behind ----------------------------------------------------------

@pytest.mark.parametrize('redirect', ['', ' > /dev/null 2>&1'],
                         ids=['child holds the output', 'child output redirected'])
def test_the_step_ends_when_the_shell_exits_despite_a_background_child(tmp_path, redirect):
    vect = run_command(f'sleep 30{redirect} & echo $! > child.pid', cwd=tmp_path, timeout=5)
    assert step_status(vect)['state'] == 'success'


@pytest.mark.parametrize('redirect', ['', ' > /dev/null 2>&1'],
                         ids=['child holds the output', 'child output redirected'])
def test_a_background_child_is_killed_when_the_shell_exits(tmp_path, redirect, leftovers):
    run_command(f'sleep 30{redirect} & echo $! > child.pid', cwd=tmp_path, timeout=5)
    child = leftovers(read_pid(tmp_path / 'child.pid'))
    assert wait_for(lambda: not is_running(child))


# -- timeout, cancel, stop, exit ------------------------------------------------------------

def test_a_timeout_fails_the_step_with_timed_out_after():
    began = time.monotonic()
    vect = run_command('sleep 30', timeout=0.2)
    assert time.monotonic() - began < DEADLINE
    assert step_status(vect)['state'] == 'failed'
    assert step_status(vect)['error'] == 'timed out after 0.2 s'


def test_a_timeout_kills_the_shell_and_its_children(tmp_path, leftovers):
    run_command(SHELL_WITH_CHILD, cwd=tmp_path, timeout=0.2)
    shell, child = read_pids(tmp_path, leftovers)
    assert wait_for(lambda: not is_running(shell) and not is_running(child))


def test_the_log_of_a_timed_out_step_is_complete_when_the_vect_ends():
    vect = run_command('echo partial-output; sleep 30', timeout=0.3)
    assert vect.log('cmd').endswith(
        'partial-output\n[killed by signal SIGKILL]\n[attempt 1 failed: timed out after 0.3 s]\n')


def test_the_log_of_a_cancelled_step_is_complete_and_its_files_gone_when_the_vect_ends(
        background_app, tmp_path, monkeypatch):
    monkeypatch.setattr(bash_execution, 'COLLECT_SECONDS', DEADLINE)  # however busy the machine
    for attempt in range(3):  # its thread races the engine: try it a few times
        ready = tmp_path / f'ready{attempt}'
        flow = Flow(f'bash{attempt}', app=background_app)
        BashExecution('cmd', flow, command=f'echo partial-output; touch {ready}; sleep 30')
        vect = background_app.start(flow.name)
        assert wait_for(ready.exists)
        vect.cancel()
        assert vect.wait(DEADLINE)
        assert vect.log('cmd').endswith('[stopped early (a timeout, a cancel, a check() that '
                                        'raised); its output follows]\npartial-output\n[killed by signal SIGKILL]\n'
                                        '[attempt 1 cancelled with its vect]\n')
        assert os.listdir(live_shells.LIVE._folder) == []  # pylint: disable=protected-access


def test_a_cancelled_step_that_wrote_nothing_announces_no_output(background_app, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(bash_execution, 'COLLECT_SECONDS', DEADLINE)  # however busy the machine
    ready = tmp_path / 'ready'
    BashExecution('cmd', Flow('quiet', app=background_app), command=f'touch {ready}; sleep 30')
    vect = background_app.start('quiet')
    assert wait_for(ready.exists)
    vect.cancel()
    assert vect.wait(DEADLINE)
    assert vect.log('cmd') == (f'$ touch {ready}; sleep 30\n[killed by signal SIGKILL]\n'
                               '[attempt 1 cancelled with its vect]\n')


def test_a_timed_out_attempt_is_retried(tmp_path):
    vect = run_command('[ -e tried ] || { touch tried; sleep 30; }', cwd=tmp_path,
                       timeout=0.3, retries=1)
    assert step_status(vect)['state'] == 'success'
    assert step_status(vect)['attempts'] == 2


def test_vect_cancel_kills_the_running_process_group(background_app, tmp_path, leftovers):
    BashExecution('cmd', Flow('bash', app=background_app), command=SHELL_WITH_CHILD, cwd=tmp_path)
    vect = background_app.start('bash')
    shell, child = read_pids(tmp_path, leftovers)
    vect.cancel()
    assert vect.wait(DEADLINE)
    assert step_status(vect)['state'] == 'cancelled'
    assert wait_for(lambda: not is_running(shell) and not is_running(child))


MOVES_TO_A_GROUP_OF_ITS_OWN = """
import os, time
os.setpgid(0, 0)  # as coreutils `timeout` does, and a bash `set -m` job: out of the shell's group
with open('child.pid', 'w') as pid_file:
    pid_file.write(f'{os.getpid()}\\n')
time.sleep(30)
"""


class GivesUp(BashExecution):
    """A shell step whose check() gives up once its shell has written its pid; each run()
    notes whether the shell of the attempt before still runs."""

    def __init__(self, name, flow, folder, seen, **options):
        super().__init__(name, flow, command=f'echo $$ >> {folder}/pids; exec sleep 30',
                         **options)
        self.pids, self.seen = folder / 'pids', seen  # seen: shared by every attempt

    def run(self, context):
        written = self.pids.read_text().split() if self.pids.exists() else []
        self.seen.append([is_running(int(pid)) for pid in written])
        self.attempt = context.attempt
        super().run(context)

    def check(self):
        written = self.pids.read_text().split() if self.pids.exists() else []
        if len(written) < self.attempt:
            return super().check()
        raise RuntimeError('gave up on the shell')


def test_a_check_that_gives_up_on_its_shell_kills_it_before_the_retry(tmp_path, leftovers):
    app = OAutom(mode=OAutomMode.foreground)
    seen = []
    GivesUp('cmd', Flow('bash', app=app), tmp_path, seen, retries=1, poll_interval=0.01,
            timeout=DEADLINE)
    vect = app.start('bash')
    app.run()
    pids = [leftovers(int(pid)) for pid in (tmp_path / 'pids').read_text().split()]
    assert step_status(vect)['error'] == 'RuntimeError: gave up on the shell'
    assert len(pids) == 2 and seen == [[], [False]]  # the first was killed before the retry
    assert not any(map(is_running, pids))  # and the last once its attempt was over


class WaitsItsOwnWay(BashExecution):
    """A shell step whose run() and check() are its own: it starts no shell of BashExecution's."""

    def run(self, context):
        context.log('waiting, no shell')

    def check(self):
        return False


def test_the_timeout_of_a_subclass_with_its_own_run_cancels_without_an_error():
    app = OAutom(mode=OAutomMode.step, clock=FakeClock())
    WaitsItsOwnWay('cmd', Flow('bash', app=app), command='true', timeout=1)
    vect = app.start('bash')
    app.tick()
    app.clock.advance(1)
    app.tick()
    assert step_status(vect)['error'] == 'timed out after 1 s'
    assert vect.log('cmd') == 'waiting, no shell\n[attempt 1 failed: timed out after 1 s]\n'


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='only Linux lists its processes')
def test_cancel_kills_what_moved_to_a_group_of_its_own_and_nothing_else(
        background_app, tmp_path, leftovers):
    (tmp_path / 'mover.py').write_text(MOVES_TO_A_GROUP_OF_ITS_OWN)
    with subprocess.Popen(['sleep', '30'], start_new_session=True) as bystander:
        try:
            BashExecution('cmd', Flow('bash', app=background_app), cwd=tmp_path,
                          command=f'{sys.executable} mover.py & echo $$ > shell.pid; wait')
            vect = background_app.start('bash')
            shell, child = read_pids(tmp_path, leftovers)
            assert os.getpgid(child) == child != os.getpgid(shell)  # it did move
            vect.cancel()
            assert vect.wait(DEADLINE)
            assert wait_for(lambda: not is_running(shell) and not is_running(child))
            assert bystander.poll() is None  # a group in another session is not touched
        finally:
            bystander.kill()


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='only Linux lists its processes')
def test_shells_killed_together_look_at_the_processes_once(tmp_path, leftovers, monkeypatch):
    # At exit, say: each look costs about a microsecond for each process of the machine
    shells, movers = live_shells.LiveShells(), []
    for number in range(2):
        (tmp_path / str(number)).mkdir()
        (tmp_path / str(number) / 'mover.py').write_text(MOVES_TO_A_GROUP_OF_ITS_OWN)
        shells.start(f'{sys.executable} mover.py & echo $$ > shell.pid; wait', {},
                     str(tmp_path / str(number)))
        movers.append(read_pids(tmp_path / str(number), leftovers)[1])
    looks = []
    listdir = os.listdir
    monkeypatch.setattr(os, 'listdir', lambda path: looks.append(path) or listdir(path))
    shells.kill_all()
    monkeypatch.undo()
    assert looks == ['/proc']
    assert wait_for(lambda: not any(is_running(mover) for mover in movers))


def test_a_cancel_that_comes_while_the_shell_starts_kills_it_once_started(
        background_app, tmp_path, leftovers, monkeypatch):
    started, cancelled, pids = threading.Event(), threading.Event(), []

    class SlowPopen(subprocess.Popen):  # the shell runs, but its thread has not seen it yet
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pids.extend(read_pids(tmp_path, leftovers))
            started.set()
            cancelled.wait(DEADLINE)
    monkeypatch.setattr(subprocess, 'Popen', SlowPopen)
    BashExecution('cmd', Flow('bash', app=background_app), command=SHELL_WITH_CHILD, cwd=tmp_path)
    vect = background_app.start('bash')
    assert started.wait(DEADLINE)
    vect.cancel()
    time.sleep(0.05)  # the engine cancels the step meanwhile: it waits for the shell
    cancelled.set()
    assert vect.wait(DEADLINE)
    shell, child = pids
    assert step_status(vect)['state'] == 'cancelled'
    # The vect ended once the shell was reaped and logged (it used to end first, and the
    # shell's thread to log "[from attempt 1, after it ended] [killed by signal SIGKILL]" later)
    assert vect.log('cmd').endswith(
        '\n[killed by signal SIGKILL]\n[attempt 1 cancelled with its vect]\n')
    assert 'abandoned' not in vect.log('cmd')
    assert wait_for(lambda: not is_running(shell) and not is_running(child))


def test_a_cancel_that_comes_before_the_shell_starts_means_it_never_starts(
        tmp_path, monkeypatch):
    jobs, lines = [], []
    monkeypatch.setattr(bash_execution.WORKERS, 'hand_over', lambda job, name: jobs.append(job))
    step = BashExecution('cmd', Flow('bash'), command=f'touch "{tmp_path}/ran"')
    attempt = copy.copy(step)  # what a vect does for each attempt
    attempt.outputs = {}
    attempt.run(SimpleNamespace(log=lines.append, wake=lambda: None, vect_id='bash.1'))
    began = time.monotonic()
    attempt.cancel()  # a timeout or a stop, before the step's thread got to start the shell
    assert time.monotonic() - began < 0.5  # nothing started: nothing to wait for
    jobs[0]()         # that thread runs now
    with pytest.raises(bash_execution.CommandFailed, match='cancelled before its command'):
        attempt.check()
    assert not (tmp_path / 'ran').exists()
    assert lines[-1] == '[the step was cancelled before its command started]'


def test_a_shell_that_cannot_be_started_fails_its_step_and_says_why(monkeypatch):
    def no_more_processes(*_args, **_kwargs):
        raise BlockingIOError('Resource temporarily unavailable')
    monkeypatch.setattr(subprocess, 'Popen', no_more_processes)
    status = step_status(run_command('true'))
    assert status['state'] == 'failed'
    assert 'the command could not be started: BlockingIOError: Resource temporarily ' \
        'unavailable' in status['error']


def test_app_stop_ends_the_vect_cancelled_and_leaves_no_process(background_app, tmp_path,
                                                                leftovers):
    BashExecution('cmd', Flow('bash', app=background_app), command=SHELL_WITH_CHILD, cwd=tmp_path)
    vect = background_app.start('bash')
    shell, child = read_pids(tmp_path, leftovers)
    background_app.stop()
    assert vect.state is VectState.cancelled
    assert wait_for(lambda: not is_running(shell) and not is_running(child))


# Run as `python -c EXIT_SCRIPT CWD WHEN`: a background app starts SHELL_WITH_CHILD in CWD,
# and the interpreter exits normally while the shell still runs. WHEN says how far the
# engine got: 'started' (run() has returned: the step's 'running' event is published
# after the round that started it) or 'starting' (Popen has started the shell but not
# returned yet, as when the engine thread is descheduled under load).
EXIT_SCRIPT = textwrap.dedent('''
    import os, subprocess, sys, threading, time
    from oautom import BashExecution, Flow, OAutom, OAutomMode

    cwd, when = sys.argv[1], sys.argv[2]
    if when == 'starting':
        class SlowPopen(subprocess.Popen):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                time.sleep(0.3)
        subprocess.Popen = SlowPopen

    app = OAutom(mode=OAutomMode.background)
    BashExecution('sleeper', Flow('left running', app=app), command=%r, cwd=cwd)
    started = threading.Event()

    def on_event(event):
        if event['step'] == 'sleeper' and event['state'] == 'running':
            started.set()

    app.subscribe(on_event)
    app.start('left running')
    app.run()
    pid_file = os.path.join(cwd, 'shell.pid')
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (
            os.path.exists(pid_file) and open(pid_file).read().endswith('\\n')):
        time.sleep(0.01)
    if when == 'started':
        started.wait(5)
''') % SHELL_WITH_CHILD


def exit_with_a_running_shell(directory, when):
    """Run EXIT_SCRIPT in `directory`, its temporary files in a fresh folder; return that."""
    temporary = directory / 'tmp'
    temporary.mkdir()
    subprocess.run([sys.executable, '-c', EXIT_SCRIPT, str(directory), when],
                   env={**os.environ, 'PYTHONPATH': str(REPO), 'TMPDIR': str(temporary)},
                   timeout=10, check=True)
    return temporary


@pytest.mark.parametrize('when', [
    'started',
    'starting',
])
def test_interpreter_exit_kills_the_running_process_groups_of_a_background_app(
        tmp_path, leftovers, when):
    exit_with_a_running_shell(tmp_path, when)
    shell, child = read_pids(tmp_path, leftovers)
    assert wait_for(lambda: not is_running(shell) and not is_running(child), timeout=DEADLINE)


def test_interpreter_exit_leaves_no_temporary_file(tmp_path, leftovers):
    temporary = exit_with_a_running_shell(tmp_path, 'started')
    read_pids(tmp_path, leftovers)
    assert not list(temporary.iterdir())


def test_a_shell_killed_at_interpreter_exit_says_so(background_app, monkeypatch, caplog):
    exiting = live_shells.LiveShells()  # the shells of this test only: the suite's LIVE stays open
    monkeypatch.setattr(bash_execution, 'LIVE', exiting)
    BashExecution('sleeper', Flow('left running', app=background_app), command='sleep 5')
    vect = background_app.start('left running')
    assert wait_for(lambda: exiting._shells)  # pylint: disable=protected-access
    exiting.kill_all()  # what atexit does
    assert vect.wait(5) and vect.state is VectState.failed
    assert step_status(vect, 'sleeper')['error'] == (
        'the interpreter is exiting, and the command was killed with it')
    assert 'the interpreter is exiting: 1 running shell(s) of oautom steps were killed' in [
        record.getMessage() for record in caplog.records]  # also where a program's user sees it


def test_a_shell_that_had_exited_is_not_reported_killed_at_interpreter_exit(caplog):
    exiting = live_shells.LiveShells()
    done = exiting.start('true', {}, None)
    assert done.wait() == 0  # reaped: its step has its result, though not yet released
    exiting.kill_all()
    assert not [record for record in caplog.records if 'interpreter is exiting' in
                record.getMessage()]


# -- construction -----------------------------------------------------------------------------

@pytest.mark.parametrize('command', ['', '   ', None, 42, ['echo', 'hi']],
                         ids=['empty', 'blank', 'None', 'int', 'list'])
def test_a_bad_command_is_refused_at_construction(command):
    with pytest.raises(FlowIntegrityError, match='command'):
        BashExecution('cmd', Flow('bash'), command=command)


def test_running_shells_hold_no_file_open_in_the_engine(background_app, tmp_path):
    """A wide fan-out of shells must not run the engine out of file descriptors."""
    flow = Flow('wide', app=background_app)
    for i in range(30):
        BashExecution(f'wait {i}', flow, command=f'touch {tmp_path}/{i}; sleep 0.5')
    before = len(os.listdir('/proc/self/fd'))
    vect = background_app.start('wide')
    assert wait_for(lambda: len(list(tmp_path.iterdir())) == 30)
    during = len(os.listdir('/proc/self/fd'))
    assert vect.wait(5) and vect.state is VectState.success
    assert during - before < 10


STOP_THEN_EXIT = '''
from oautom import BashExecution, Flow, OAutom, OAutomMode
app = OAutom(mode=OAutomMode.background)
flow = Flow('f', app=app)
for i in range(4):
    BashExecution(f's{i}', flow, command='sleep 5')
app.run()
vect = app.start('f')
while not all(s['state'] == 'running' for s in vect.status()['executions']):
    pass
app.stop()
'''


def test_exiting_right_after_stop_leaves_no_temporary_file_and_no_traceback(tmp_path):
    temporary = tmp_path / 'tmp'
    temporary.mkdir()
    for _ in range(3):  # the waiters race the exit: try it a few times
        done = subprocess.run([sys.executable, '-c', STOP_THEN_EXIT], capture_output=True,
                              text=True, timeout=10, check=True,
                              env={**os.environ, 'PYTHONPATH': str(REPO),
                                   'TMPDIR': str(temporary)})
        assert 'Traceback' not in done.stderr
        assert not list(temporary.iterdir())


FORK_THEN_RUN = '''
import faulthandler, os, sys, time
from oautom import BashExecution, Flow, OAutom, OAutomMode, PythonExecution

def run_one_flow():
    app = OAutom()
    flow = Flow('f', app=app)
    PythonExecution('py', flow, function=lambda context: {'n': 1})
    BashExecution('sh', flow, command='echo "pid=$$" >> "$OAUTOM_OUTPUT"')
    vect = app.start('f')
    app.run()
    return vect.state.value

run_one_flow()  # leaves an idle worker thread, a folder and used file names behind
parent = OAutom(mode=OAutomMode.background)
BashExecution('long', Flow('g', app=parent), command='echo from-parent; sleep 0.5')
parent.run()
running = parent.start('g')
while running.status()['executions'][0]['state'] != 'running':
    time.sleep(0.001)
pid = os.fork()  # as multiprocessing does on Linux
if pid == 0:
    faulthandler.dump_traceback_later(5, exit=True)  # a hang shows, and ends
    print('child', run_one_flow(), flush=True)
    sys.exit(0)  # a normal exit, so its atexit runs: it must leave the parent's shell alone
os.waitpid(pid, 0)
assert running.wait(10)
print('parent', running.state.value, running.log('long').splitlines()[1])
'''


def test_a_forked_process_runs_flows_of_its_own_and_its_exit_leaves_its_parents_alone():
    # -W: Python 3.12 and later warn of a fork in a process with threads, which this tests
    done = subprocess.run([sys.executable, '-W', 'ignore::DeprecationWarning', '-c',
                           FORK_THEN_RUN], capture_output=True, text=True,
                          timeout=30, env={**os.environ, 'PYTHONPATH': str(REPO)}, check=False)
    assert done.stdout == 'child success\nparent success from-parent\n', done.stderr


def test_a_command_that_removes_the_folder_of_its_files_still_succeeds_and_so_does_the_next():
    vect = run_command('echo hi; echo oops >&2; rm -rf "$(dirname "$OAUTOM_OUTPUT")"')
    assert step_status(vect)['state'] == 'success'
    vect = run_command('echo "rows=3" >> "$OAUTOM_OUTPUT"')  # a new folder is made
    assert step_status(vect)['outputs'] == {'rows': '3'}


def test_a_command_that_puts_a_file_in_place_of_the_folder_of_its_files_does_not_stop_the_next():
    run_command('true')  # the folder exists
    in_its_place = live_shells.LIVE._folder  # pylint: disable=protected-access
    vect = run_command('folder="$(dirname "$OAUTOM_OUTPUT")"; rm -rf "$folder"; touch "$folder"')
    assert step_status(vect)['state'] == 'success' and os.path.isfile(in_its_place)
    try:
        vect = run_command('echo "rows=3" >> "$OAUTOM_OUTPUT"')  # a new folder is made
        assert step_status(vect)['outputs'] == {'rows': '3'}
    finally:
        os.unlink(in_its_place)


def test_a_cwd_that_vanished_fails_the_start_but_keeps_the_folder_of_the_shells_files(tmp_path):
    run_command('true')  # the folder exists
    folder = live_shells.LIVE._folder  # pylint: disable=protected-access
    with pytest.raises(FileNotFoundError):
        live_shells.LIVE.start('true', {}, str(tmp_path / 'gone'))
    assert live_shells.LIVE._folder == folder and os.path.isdir(folder)  # pylint: disable=protected-access


def test_a_dangling_link_in_place_of_the_output_file_is_removed_with_the_step():
    vect = run_command('ln -s /nonexistent/x "$OAUTOM_OUTPUT"; echo "link: $OAUTOM_OUTPUT" >&2')
    path = re.search(r'link: (/\S+)', vect.log('cmd')).group(1)
    assert step_status(vect)['state'] == 'success' and not os.path.lexists(path)


def test_the_output_file_is_in_a_folder_only_its_owner_may_enter_and_new_to_the_command():
    vect = run_command('test -e "$OAUTOM_OUTPUT" && echo "found=yes" >> "$OAUTOM_OUTPUT"; '
                       'echo "folder=$(stat -c %a "$(dirname "$OAUTOM_OUTPUT")")" '
                       '>> "$OAUTOM_OUTPUT"')
    assert step_status(vect)['outputs'] == {'folder': '700'}


def test_a_finished_step_leaves_nothing_it_wrote_behind():
    vect = run_command('echo hi; echo oops >&2; echo "path=$OAUTOM_OUTPUT" >> "$OAUTOM_OUTPUT"')
    stem = step_status(vect)['outputs']['path'].rsplit('.', 1)[0]
    assert [os.path.exists(f'{stem}.{name}') for name in ('stdout', 'stderr', 'output')] == \
        [False, False, False]


def test_a_process_that_escaped_a_step_never_writes_into_a_later_step(tmp_path, own_shells):
    away, done = tmp_path / 'away', tmp_path / 'done'
    escaped = run_command(  # its child leaves the step's group, then outlives the step
        f'setsid sh -c \'touch "{away}"; sleep 0.2; echo LEAK; '
        f'echo token=LEAK >> "$OAUTOM_OUTPUT"; touch "{done}"\' & '
        f'while [ ! -e "{away}" ]; do sleep 0.01; done')
    assert step_status(escaped)['state'] == 'success'
    later = run_command('sleep 0.5; echo mine')
    assert wait_for(done.exists)
    assert step_status(later)['outputs'] == {} and 'LEAK' not in later.log('cmd')


@pytest.mark.parametrize('link', ['ln -sf', 'ln -f'])
def test_a_command_that_links_its_output_file_elsewhere_never_harms_that_file(tmp_path, link):
    precious = tmp_path / 'precious.txt'
    precious.write_text('keep me\n')
    vect = run_command(f'{link} "{precious}" "$OAUTOM_OUTPUT"')
    assert step_status(vect)['state'] == 'success'
    for _ in range(2):  # whichever shell gets those file names next
        assert step_status(run_command('echo "a=1" >> "$OAUTOM_OUTPUT"'))['outputs'] == \
            {'a': '1'}
    assert precious.read_text() == 'keep me\n'



SIGCHLD_IGNORED = '''
import gc, os, signal, sys, time
from oautom import BashExecution, Flow, OAutom, OAutomMode
app = OAutom(mode=OAutomMode.background)
BashExecution('cmd', Flow('f', app=app), command='sleep 30 & echo $! > child.pid; echo said; '
              'touch ready; while [ ! -e go ]; do sleep 0.01; done')
app.run()
if sys.argv[1] == 'before':
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
if sys.argv[1] == 'another reaper':  # the program collects the shell's exit itself, between
    real_waitid = os.waitid          # oautom's look at it and oautom's own collection

    def waitid_then_reap(*args):
        seen = real_waitid(*args)
        os.waitpid(args[1], 0)
        return seen
    os.waitid = waitid_then_reap
vect = app.start('f')
if sys.argv[1] != 'before':
    while not os.path.exists('ready'):
        time.sleep(0.01)
    if sys.argv[1] == 'while it runs':
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the system reaps the shell: no exit code
    open('go', 'w').close()
assert vect.wait(10)
print(vect.status()['executions'][0]['error'])
print(vect.log('cmd').splitlines()[1:3])
app.stop()
del app, vect
gc.collect()  # a Popen that takes its shell for still running warns (ResourceWarning) here
'''
IGNORED = ('SIGCHLD is ignored in this process (signal.signal(signal.SIGCHLD, signal.SIG_IGN), '
           'here or in the program that started it), so the system discards every command\'s '
           'exit code, which a shell step ends by; restore it with '
           'signal.signal(signal.SIGCHLD, signal.SIG_DFL)')


@pytest.mark.parametrize('when, error', [
    ('before', f'the command was not started: {IGNORED}'),
    ('while it runs', f"the command's exit code was lost: {IGNORED}"),
    ('another reaper', "the command's exit code was lost: something else in this process "
                       'collected it: os.wait(), os.waitpid(-1, ...) or a SIGCHLD handler that '
                       'waits for any child; wait for your own children by their pid')])
def test_a_lost_exit_code_fails_the_step_with_the_cause_and_leaves_no_process(tmp_path, when,
                                                                            error):
    done = subprocess.run([sys.executable, '-W', 'always::ResourceWarning', '-c', SIGCHLD_IGNORED,
                           when], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                          check=True, env={**os.environ, 'PYTHONPATH': str(REPO)})
    said, log = done.stdout.splitlines()
    assert 'is still running' not in done.stderr  # Popen knows the shell ended
    assert said == error
    if when == 'before':
        assert not (tmp_path / 'ready').exists()  # no work was begun, to be lost
        return
    assert log == "['said', '[its exit code was lost]']"  # what it wrote is kept all the same
    # What the shell left in its group was killed at once, not at the interpreter's exit
    child = int((tmp_path / 'child.pid').read_text())
    gone = wait_for(lambda: not Path(f'/proc/{child}').exists() or 'Z' in Path(
        f'/proc/{child}/stat').read_text().split()[2])  # a SIGKILL takes a moment
    if not gone:  # cleaned up, not to leave it to the next tests
        os.kill(child, signal.SIGKILL)
    assert gone


@pytest.mark.parametrize('command, placeholder', [
    ('echo {{ params.day }} {{ outputs.report.total }}', '{{ params.day }}'),
    ('echo {{ds}}', '{{ds}}'),                         # Airflow's own names too
    ('echo "{{ params.day"', '{{ params.day"'),        # never closed: shown as far as it goes
    ("docker inspect -f '{{.State.Running}}' box", None),  # no placeholder: plain text
    ("echo '{{ 1 }}'", None),
])
def test_a_template_in_a_command_is_said_to_reach_the_shell_as_written(caplog, command,
                                                                       placeholder):
    run_command(command)
    warnings = [record.getMessage() for record in caplog.records
                if 'a template as Airflow writes them' in record.getMessage()]
    if placeholder is None:
        assert warnings == []
    else:
        assert warnings == [
            f"step 'cmd': its command holds {placeholder!r}, a template as Airflow writes them; "
            'oautom does not fill in templates yet, so the shell gets it as written. Give a '
            'fixed value through env=; a step that needs params or outputs is best a '
            'PythonExecution (context.params, context.outputs)']


FORK_WHILE_A_SHELL_STARTS = '''
import faulthandler, os, sys, tempfile, threading, time
from oautom import live_shells

inside, leave, held = threading.Event(), threading.Event(), threading.Lock()
made = tempfile.mkdtemp

def slow_mkdtemp(**options):  # as tempfile's own: a lock of its own held for a moment
    with held:
        inside.set()
        leave.wait()
        return made(**options)

tempfile.mkdtemp = slow_mkdtemp
starting = threading.Thread(target=live_shells.LIVE.start, args=('true', None, None))
starting.start()
inside.wait()
threading.Timer(0.2, leave.set).start()  # the fork must wait for this, not land inside it
pid = os.fork()
if pid == 0:
    faulthandler.dump_traceback_later(5, exit=True)
    os._exit(0 if held.acquire(timeout=2) else 1)  # the child: no thread of its own holds it
print('child', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
starting.join()
'''


def test_a_fork_waits_while_a_step_s_thread_is_starting_a_shell():
    # -W: Python 3.12 and later warn of a fork in a process with threads, which this tests
    done = subprocess.run([sys.executable, '-W', 'ignore::DeprecationWarning', '-c',
                           FORK_WHILE_A_SHELL_STARTS], capture_output=True, text=True,
                          timeout=30, env={**os.environ, 'PYTHONPATH': str(REPO)}, check=False)
    assert done.stdout == 'child 0\n', done.stderr


POPEN_WITH_PREEXEC_FN = '''
import subprocess
from oautom import live_shells

class Popen(subprocess.Popen):  # one given a preexec_fn runs the fork handlers
    def __init__(self, *args, **options):
        super().__init__(*args, preexec_fn=lambda: None, **options)

subprocess.Popen = Popen
shell = live_shells.LIVE.start('true', None, None)  # holds the lock that a fork waits for
print('started', flush=True)
'''


def test_a_popen_that_runs_the_fork_handlers_does_not_wait_for_itself():
    done = subprocess.run([sys.executable, '-c', POPEN_WITH_PREEXEC_FN], capture_output=True,
                          text=True, timeout=10, env={**os.environ, 'PYTHONPATH': str(REPO)},
                          check=False)
    assert done.stdout == 'started\n', done.stderr


def test_a_cancel_waits_for_its_shell_not_for_the_shells_other_steps_are_starting(
        tmp_path, monkeypatch):
    # A Popen holds LIVE's lock (live_shells.py): with hundreds of shells starting, a cancel()
    # that waited for it too took up to a second, and was then reported as the user's slow code
    monkeypatch.setattr(bash_execution, 'COLLECT_SECONDS', 60.0)
    ready, lines = tmp_path / 'ready', []
    step = BashExecution('cmd', Flow('bash'), command=f'touch {ready}; sleep 30')
    attempt = copy.copy(step)  # what a vect does for each attempt
    attempt.outputs = {}
    attempt.run(SimpleNamespace(log=lines.append, wake=lambda: None, vect_id='bash.1'))
    assert wait_for(ready.exists)
    canceller = threading.Thread(target=attempt.cancel, daemon=True)
    with live_shells.LIVE._lock:  # pylint: disable=protected-access
        canceller.start()  # as if another step's thread were inside Popen meanwhile
        canceller.join(DEADLINE)
        assert not canceller.is_alive()
    assert lines[-1].endswith('[killed by signal SIGKILL]')


def test_a_cancel_waits_for_no_shell_that_waits_to_start_behind_other_steps_shells(
        tmp_path, monkeypatch):
    # A step's thread may wait for LIVE's lock while other steps' Popens hold it: a cancel()
    # then used to wait for its shell to start, only to be killed (up to 1 s a step, blamed on
    # the user's cancel()). Now the shell never starts, and the cancel() waits for nothing.
    monkeypatch.setattr(bash_execution, 'COLLECT_SECONDS', 60.0)
    lines = []
    step = BashExecution('cmd', Flow('bash'), command=f'touch "{tmp_path}/ran"')
    attempt = copy.copy(step)  # what a vect does for each attempt
    attempt.outputs = {}
    start_code = live_shells.LiveShells.start.__code__
    with live_shells.LIVE._lock:  # pylint: disable=protected-access
        # as if another step's thread were inside Popen
        attempt.run(SimpleNamespace(log=lines.append, wake=lambda: None, vect_id='bash.1'))
        assert wait_for(lambda: any(frame.f_code is start_code  # its thread waits there
                                    for frame in sys._current_frames().values()))  # pylint: disable=protected-access
        canceller = threading.Thread(target=attempt.cancel, daemon=True)
        canceller.start()
        canceller.join(DEADLINE)
        assert not canceller.is_alive()
    assert attempt._collected.wait(DEADLINE)  # pylint: disable=protected-access
    with pytest.raises(bash_execution.CommandFailed, match='cancelled before its command'):
        attempt.check()
    assert not (tmp_path / 'ran').exists()
