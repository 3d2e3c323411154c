"""BashExecution: a step that runs a shell command in its own process group.

`run()` starts `/bin/sh -c COMMAND` and returns at once. A small waiter thread
blocks on the process's exit (no polling), then wakes the engine, so the
downstream starts within milliseconds. `check()` reads the result:

    exit 0     success; every `key=value` line the command appended to the
               file named by $OAUTOM_OUTPUT becomes an output (a string)
    exit 99    the step is skipped (as Airflow's BashOperator does)
    otherwise  the step fails with the exit code and the last lines of stderr

stdout and stderr go to two anonymous temporary files rather than pipes: the
step then ends when the *shell* exits, even if it left a background child
holding the output open. That child is killed with the rest of the process
group at the end of the step. A process that leaves the group on purpose
(`setsid`) is out of reach: it is no longer the step's.

At interpreter exit, every process group still running is killed, so a
background app never leaves orphans behind.
"""
import atexit
import os
import signal
import subprocess
import tempfile
import threading

from .errors import FlowIntegrityError
from .execution import Execution, SkipExecution
from .step_log import LOG_LIMIT

SKIP_EXIT_CODE = 99
STDERR_LINES_IN_ERROR = 5


class CommandFailed(Exception):
    """The command exited with a code other than 0 or 99."""


class BashExecution(Execution):
    """Run `command` with /bin/sh; `env` is added to the inherited environment."""

    def __init__(self, name, flow, command, *, env=None, cwd=None, **step_options):
        super().__init__(name, flow, **step_options)
        if not isinstance(command, str) or not command.strip():
            raise FlowIntegrityError(f'step {name!r}: command must be a non-empty string of shell '
                                     f'code, not {command!r}')
        self.command = command
        self.env = dict(env or {})
        self.cwd = cwd

    def run(self, context):
        self._result = None  # (exit code, stderr tail, outputs) once the shell has exited
        self._stdout = tempfile.TemporaryFile()
        self._stderr = tempfile.TemporaryFile()
        descriptor, self._output_path = tempfile.mkstemp(prefix='oautom-output-')
        os.close(descriptor)
        environment = {**os.environ, **self.env, 'OAUTOM_OUTPUT': self._output_path}
        context.log(f'$ {self.command}')
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with
            ['/bin/sh', '-c', self.command], stdin=subprocess.DEVNULL, stdout=self._stdout,
            stderr=self._stderr, cwd=self.cwd, env=environment,
            process_group=0)  # its own group: one killpg stops the shell and its children
        _LIVE.add(self._process)
        threading.Thread(target=self._wait_for_exit, args=(context,), daemon=True,
                         name=f'oautom-bash-{self.name}').start()

    def check(self):
        if self._result is None:
            return False
        code, stderr_tail, outputs = self._result
        if code == 0:
            self.outputs.update(outputs)
            return True
        if code == SKIP_EXIT_CODE:
            raise SkipExecution(f'the command exited with {SKIP_EXIT_CODE}')
        detail = f'; last lines of stderr:\n{stderr_tail}' if stderr_tail else ' (no stderr)'
        raise CommandFailed(f'exit code {code}{detail}')

    def cancel(self):
        if self._result is None:
            _kill_group(self._process)

    def _wait_for_exit(self, context):
        code = self._process.wait()
        _kill_group(self._process)  # whatever the shell left running in its group
        _LIVE.discard(self._process)
        stdout, stderr = _tail(self._stdout), _tail(self._stderr)
        if stdout:
            context.log(stdout.rstrip('\n'))
        if stderr:
            context.log(f'[stderr]\n{stderr.rstrip(chr(10))}')
        context.log(f'[exit code {code}]')
        with open(self._output_path, encoding='utf-8', errors='replace') as output_file:
            outputs = _parse_outputs(output_file)
        os.unlink(self._output_path)
        tail = '\n'.join(stderr.splitlines()[-STDERR_LINES_IN_ERROR:])
        self._result = (code, tail, outputs)
        context.wake()


def _tail(file):
    """The last LOG_LIMIT bytes written to `file`, as text; closes it."""
    with file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - LOG_LIMIT))
        return file.read().decode('utf-8', errors='replace')


def _parse_outputs(lines):
    outputs = {}
    for line in lines:
        key, sep, value = line.rstrip('\n').partition('=')
        if sep and key.strip():
            outputs[key.strip()] = value
    return outputs


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


class _LiveProcesses:
    """The shells started and not yet reaped, to kill at interpreter exit."""

    def __init__(self):
        self._lock = threading.Lock()  # guards _processes: waiter threads add and remove
        self._processes = set()

    def add(self, process):
        """Remember a started shell."""
        with self._lock:
            self._processes.add(process)

    def discard(self, process):
        """Forget a shell that has exited."""
        with self._lock:
            self._processes.discard(process)

    def kill_all(self):
        """Kill every remembered process group."""
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            _kill_group(process)


_LIVE = _LiveProcesses()
atexit.register(_LIVE.kill_all)
