"""BashExecution: a step that runs a shell command in its own process group.

`run()` starts `/bin/sh -c COMMAND` and returns at once. A waiter thread (a
reused worker: see workers.py) blocks on the process's exit (no polling),
then wakes the engine, so the downstream starts within a millisecond. `check()` reads the result:

    exit 0     success; every `key=value` line the command appended to the
               file named by $OAUTOM_OUTPUT becomes an output (a string)
    exit 99    the step is skipped (as Airflow's BashOperator does)
    otherwise  the step fails with the exit code and the last lines of stderr

stdout and stderr go to temporary files rather than to pipes: the step
then ends when the *shell* exits, even if it left a background child
holding the output open. That child is killed with the rest of the process
group at the end of the step. A process that leaves the group on purpose
(`setsid`) is out of reach: it is no longer the step's.

At interpreter exit, every process group still running is killed and its
files removed, so a background app never leaves orphans behind.
"""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from functools import partial

from .errors import FlowIntegrityError
from .execution import Execution, SkipExecution, StepFailed, describe
from .step_log import LOG_LIMIT
from .workers import WORKERS

SKIP_EXIT_CODE = 99
STDERR_LINES_IN_ERROR = 5


class CommandFailed(StepFailed):
    """The command exited with a code other than 0 or 99."""


class BashExecution(Execution):
    """Run `command` with /bin/sh; `env` is added to the inherited environment."""

    def __init__(self, name, flow, command, *, env=None, cwd=None, **step_options):
        # Checked before the step joins its flow (super().__init__), so a refused
        # step is not left in the flow half-built.
        if not isinstance(command, str) or not command.strip():
            raise FlowIntegrityError(f'step {name!r}: command must be a non-empty string of shell '
                                     f'code, not {command!r}')
        env = dict(env or {})
        for key, value in env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise FlowIntegrityError(
                    f'step {name!r}: env holds {key!r}: {value!r}; environment variable names '
                    f'and values are text: write {key!s}={str(value)!r}')
        self.command = command
        self.env = env
        self.cwd = cwd
        super().__init__(name, flow, **step_options)

    def run(self, context):
        self._result = None  # (exit code, stderr tail, outputs) once the shell has exited
        self._cancelled = False
        if self.cwd is not None and not os.path.isdir(self.cwd):
            raise StepFailed(f'cwd {os.fspath(self.cwd)!r} is not a directory; give '
                             'BashExecution(..., cwd=...) a folder that exists')
        context.log(f'$ {self.command}')
        self._shell = _LIVE.start(self.command, self.env, self.cwd)
        try:
            WORKERS.hand_over(partial(self._wait_for_exit, context),
                              name=f'oautom-bash-{self.name}')
        except BaseException:  # no thread to wait for it: the shell must not run unwatched
            self._shell.kill()
            raise

    def check(self):
        if self._result is None:
            return False
        code, stderr_tail, outputs, trouble = self._result
        if trouble is not None:
            raise CommandFailed(trouble)
        if code == 0:
            self.outputs.update(outputs)
            return True
        if code == SKIP_EXIT_CODE:
            raise SkipExecution(f'the command exited with {SKIP_EXIT_CODE}')
        detail = f'; last lines of stderr:\n{stderr_tail}' if stderr_tail else ' (no stderr)'
        if code < 0:  # Popen's way of saying "killed by a signal"
            raise CommandFailed(f'the command was killed by signal '
                                f'{signal.Signals(-code).name}{detail}')
        raise CommandFailed(f'the command failed with exit code {code}{detail}')

    def cancel(self):
        if self._result is None:
            self._cancelled = True  # its output, coming later, is labelled as such
            self._shell.kill()

    def _wait_for_exit(self, context):
        code, stderr, outputs, trouble = None, '', {}, None
        try:  # whatever happens here, the step must end: hence the except and the finally
            code = self._shell.wait()
            if self._cancelled:
                context.log('[the output of a cancelled attempt of this step follows]')
            stdout, stderr = self._shell.read_streams()
            if stdout:
                context.log(stdout.rstrip('\n'))
            if stderr:
                context.log(f'[stderr]\n{stderr.rstrip(chr(10))}')
            context.log(f'[exit code {code}]')
            outputs = self._shell.read_outputs()
        except Exception as error:  # pylint: disable=broad-exception-caught
            trouble = f"the command's exit could not be collected: {describe(error)}"
        finally:
            self._shell.remove_files()
            _LIVE.forget(self._shell)  # only now: until here, an exit must remove its files
            self._result = (code, '\n'.join(stderr.splitlines()[-STDERR_LINES_IN_ERROR:]),
                            outputs, trouble)
            context.wake()


class _Shell:
    """One `/bin/sh -c` process in its own group, and its three temporary files: stdout,
    stderr and output ($OAUTOM_OUTPUT). Each has a name nobody can guess (mkstemp), and
    the engine keeps none open while the shell runs: a wide fan-out cannot run out of
    descriptors."""

    def __init__(self, command, env, cwd):
        self._lock = threading.Lock()  # guards _reaped: the waiter and cancel() race
        self._reaped = False           # once reaped, the pid may belong to another program
        self.paths = {}                # 'stdout', 'stderr', 'output' -> its file's path
        try:
            _temporary_file(self.paths, 'output').close()
            with _temporary_file(self.paths, 'stdout') as stdout, \
                    _temporary_file(self.paths, 'stderr') as stderr:
                self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                    ['/bin/sh', '-c', command], stdin=subprocess.DEVNULL, stdout=stdout,
                    stderr=stderr, cwd=cwd,
                    env={**os.environ, **env, 'OAUTOM_OUTPUT': self.paths['output']},
                    process_group=0)  # its own group: one killpg stops it and its children
        except BaseException:  # nothing started, so nothing may stay behind
            self.remove_files()
            raise

    def wait(self):
        """Block until the shell exits, kill what it left in its group; return its exit code."""
        # Wait without reaping: until it is reaped, the exited shell keeps its pid (and so
        # its group id) from being given to another program, so killpg is safe.
        os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOWAIT)
        with self._lock:
            self._kill_group()
            code = self.process.wait()  # reaps it
            self._reaped = True
        return code

    def kill(self):
        """Kill the shell's whole process group, unless the shell was already reaped."""
        with self._lock:
            if not self._reaped:
                self._kill_group()

    def _kill_group(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already gone

    def read_streams(self):
        """stdout and stderr as text, each cut to its tail (behind a marker saying how much
        was dropped) so that both fit in one step log."""
        out_size, err_size = (_size(self.paths[name]) for name in ('stdout', 'stderr'))
        # Both fit in the log: stderr keeps half of it, or more when stdout needs less.
        budget = LOG_LIMIT - 4096  # room for the command line and the markers
        keep_err = min(err_size, max(budget // 2, budget - out_size))
        keep_out = min(out_size, budget - keep_err)
        return (_tail(self.paths['stdout'], 'stdout', keep_out),
                _tail(self.paths['stderr'], 'stderr', keep_err))

    def read_outputs(self):
        """Every `key=value` line the command appended to $OAUTOM_OUTPUT."""
        outputs = {}
        try:
            with open(self.paths['output'], encoding='utf-8', errors='replace') as output_file:
                for line in output_file:
                    key, sep, value = line.rstrip('\n').partition('=')
                    if sep and key.strip():
                        outputs[key.strip()] = value
        except OSError:
            pass  # the command removed or replaced the file: it published nothing
        return outputs

    def remove_files(self):
        """Remove the three files; safe to call twice."""
        for path in self.paths.values():
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass  # already removed (by the command, or at interpreter exit)
            except IsADirectoryError:  # the command put a folder in its place
                shutil.rmtree(path, ignore_errors=True)


def _temporary_file(paths, stream):
    """A new temporary file, open for writing; its path goes to `paths[stream]`."""
    descriptor, paths[stream] = tempfile.mkstemp(prefix='oautom-', suffix=f'.{stream}')
    return os.fdopen(descriptor, 'wb')


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:  # the command removed or replaced its own file: nothing to read
        return 0


def _tail(path, stream, keep):
    """The last `keep` bytes of the file at `path` as text, behind a marker if cut."""
    if not keep:
        return ''
    with open(path, 'rb') as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(size - keep)
        text = file.read().decode('utf-8', errors='replace')
    if size > keep:
        return f'[... {size - keep} earlier bytes of {stream} dropped ...]\n{text}'
    return text


class _LiveShells:
    """The shells started and not yet reaped, to kill at interpreter exit."""

    def __init__(self):
        # Guards _shells and _closed. start() holds it across Popen, so an exit
        # that comes while a shell is being started waits for it, then kills it.
        self._lock = threading.Lock()
        self._shells = set()
        self._closed = False  # the interpreter is exiting: start nothing more

    def start(self, command, env, cwd):
        """Start a shell and remember it until forget()."""
        with self._lock:
            if self._closed:
                raise RuntimeError('the interpreter is exiting; no new command is started')
            shell = _Shell(command, env, cwd)
            self._shells.add(shell)
            return shell

    def forget(self, shell):
        """The shell has exited and was reaped."""
        with self._lock:
            self._shells.discard(shell)

    def kill_all(self):
        """At exit: kill every live shell's group and remove its files."""
        with self._lock:
            self._closed = True
            shells = list(self._shells)
        for shell in shells:
            shell.kill()
            shell.remove_files()


_LIVE = _LiveShells()
atexit.register(_LIVE.kill_all)
