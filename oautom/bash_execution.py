"""BashExecution: a step that runs a shell command in its own process group.

`run()` hands the command to a thread of its own (a reused worker: see
workers.py) and returns at once. That thread starts `/bin/sh -c COMMAND`,
blocks on its exit (no polling), logs what it wrote (which `vect.log()`
shows as it is so far while it runs: `output_so_far()`), then wakes the
engine, so the downstream starts within a millisecond. Starting a process
takes a while (fork and exec, a few hundred microseconds): done in that
thread, it never holds up the engine's tick.
`check()` reads the result:

    exit 0     success; every `key=value` line the command appended to the
               file named by $OAUTOM_OUTPUT becomes an output (a string; the
               log names the other lines, which are ignored); more than 1 MiB
               there fails the step (outputs are for small values), as does
               text that is not UTF-8
    exit 99    the step is skipped (as Airflow's BashOperator does)
    otherwise  the step fails with the exit code and the last lines of stderr

The step ends when the *shell* exits; whatever it left running in its
process group is then killed (shell.py). A cancel (a timeout, a stop) of a
running shell kills that group and any group its processes moved to within
its session (coreutils `timeout` makes one), then waits the moment
(COLLECT_SECONDS at most) the step's thread takes to log what the shell
wrote: the attempt ends with its log complete. (A shell that exits by itself
does not look for those other groups: it would cost a look at every process
of the machine, at every step.) A process that leaves the session on purpose
(`setsid`) is out of reach: it is no longer the step's. At interpreter exit,
every shell still running is killed and its files removed, so a background
app never leaves orphans behind.
"""
import signal
import threading
from functools import partial

from .airflow_words import argument_hint, template_hint
from .errors import FlowIntegrityError
from .execution import Execution, SkipExecution
from .failures import StepFailed, describe
from .live_shells import LIVE
from .logger import logger
from .shell import lost_exit_reason
from .shell_arguments import cwd_problem, names_to_warn_of, shell_arguments_problem
from .shell_files import ShellTrouble, outputs_from
from .workers import WORKERS

SKIP_EXIT_CODE = 99
STDERR_LINES_IN_ERROR = 5
STDERR_CHARS_IN_ERROR = 1000  # at most, of those lines (the log keeps stderr whole)
COLLECT_SECONDS = 1.0  # how long cancel() waits for a killed shell's output to be logged


class CommandFailed(StepFailed):
    """A shell step failed: its command exited with a code other than 0 and 99, or could not
    be run, or what it wrote could not be read (the message says which)."""


class BashExecution(Execution):
    """Run `command` with /bin/sh; `env` is added to the inherited environment."""

    wakes_when_done = True  # its thread wakes the engine when the work ends
    # Until run(): a copy whose run() has not begun, or a subclass's that does not call this
    # run(), has neither a shell nor the lock that guards it
    _shell = _lock = None

    def __init__(self, name, flow, command=None, *, env=None, cwd=None, **step_options):
        if command is None:  # (None, not a TypeError: bash_command= gets its hint)
            raise FlowIntegrityError(f'step {name!r}: {argument_hint(step_options, "command")}'
                                     "give the shell code to run: BashExecution(name, flow, "
                                     "command='...')")
        # Checked before the step joins its flow (super().__init__), so a refused
        # step is not left in the flow half-built.
        problem = shell_arguments_problem(command, env, cwd)
        if problem:
            raise FlowIntegrityError(f'step {name!r}: {problem}')
        self.command = command
        self.env = dict(env or {})
        self.cwd = cwd
        super().__init__(name, flow, **step_options)
        if hint := template_hint(name, command):  # said now, not found later in the output
            logger.warning('%s', hint)
        if unportable := names_to_warn_of(self.env):  # (each name is warned of once)
            logger.warning('step %r: env names %s are no shell variable names: /bin/sh may not '
                           "pass them on (dash does not); use letters, digits and '_', not "
                           'first a digit', name, ', '.join(map(repr, unportable)))

    def run(self, context):
        self._result = None     # (exit code, stderr tail, outputs, trouble) once it has ended
        self._lock = threading.Lock()  # guards the three below: cancel() races the start
        self._shell = None      # the Shell, once its thread has started it
        self._starting = False  # True once LIVE starts it (_may_start)
        self._cancelled = False
        # Guards _logged: the thread logs the shell's output while a reader may read it live
        self._log_lock = threading.Lock()
        self._logged = False    # True once the output is in the log, or no longer to be read
        self._collected = threading.Event()  # set once the step's thread is done with it
        # Checked again: they may have been set since the step was made (step.env = ...)
        if problem := shell_arguments_problem(self.command, self.env, self.cwd):
            raise StepFailed(f'{problem} (set after the step was made)')
        if problem := cwd_problem(self.cwd):  # now: a folder may come and go
            raise StepFailed(problem)
        context.log(f'$ {self.command}')
        thread_name = f'oautom-bash {context.vect_id} {self.name}'  # for a debugger's threads
        WORKERS.hand_over(partial(self._run_shell, context), name=thread_name)

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
        if code < 0:  # os.waitstatus_to_exitcode's way of saying "killed by a signal"
            raise CommandFailed(f'the command was killed by signal '
                                f'{signal_name(-code)}{detail}')
        raise CommandFailed(f'the command failed with exit code {code}{detail}')

    def cancel(self):
        if self._lock is None:  # a subclass's own run() started no shell of ours
            return
        with self._lock:
            self._cancelled = True  # a shell still starting is killed once started
            shell, starting = self._shell, self._starting
        if shell is not None:
            shell.kill()  # does nothing once the shell has exited
        if starting:
            # Killed now, or by its thread once started, the shell exits at once: wait the
            # moment that thread takes to reap it, log what it wrote and remove its files, so
            # that the attempt ends with its log complete and no shell of it left.
            self._collected.wait(COLLECT_SECONDS)

    def output_so_far(self):
        """What the running shell has written so far, as its log will show it once it ends
        (`vect.log()` reads the log first, then this: see StepRun.log_text)."""
        shell = self._shell  # None until the step's thread has started the shell
        if shell is None:
            return ''
        with self._log_lock:  # against its thread's write to the log: here or there, never both
            if self._logged:
                return ''
            try:
                stdout, stderr = shell.read_streams()
            except ShellTrouble:  # a command removed its files (its step will say so)
                return ''
        return _shell_output(stdout, stderr, '[the command is still running]') + '\n'

    def _start_shell(self):
        """The started Shell, or None if the step was cancelled (a timeout, a stop) first."""
        # dict(): an env set after the step was made may be a list of pairs, as the constructor's
        shell = LIVE.start(self.command, dict(self.env or {}), self.cwd, self._may_start)
        if shell is None:
            return None
        with self._lock:
            self._shell = shell
            if self._cancelled:  # cancelled while it started: it never gets to run on
                shell.kill()
        return shell

    def _may_start(self):
        """Asked by LIVE under its lock, just before Popen (this step's thread may have waited
        there behind other steps' Popens): False if the step was cancelled meanwhile, so the
        shell never starts and that cancel() had nothing to wait for. Once True, a cancel()
        waits for the shell to be killed and collected."""
        with self._lock:
            self._starting = not self._cancelled
            return self._starting

    def _run_shell(self, context):
        """In the step's own thread: start the shell, wait for it, collect, wake the engine."""
        code, stderr, outputs, trouble, shell = None, '', {}, None, None
        try:  # whatever happens here, the step must end: hence the except and the finally
            shell = self._start_shell()
            if shell is None:
                trouble = 'the step was cancelled before its command started'
                context.log(f'[{trouble}]')
                return
            code = shell.wait()  # None if its exit code was lost (see shell.py)
            if code is None:
                trouble = lost_exit_reason()
            elif code < 0 and LIVE.closed:  # killed by our own exit, not by what it did
                trouble = 'the interpreter is exiting, and the command was killed with it'
            try:
                stdout, stderr = shell.read_streams()
            except ShellTrouble as lost:  # its exit code still decides: only its output is lost
                # (said as its stderr: an exit code other than 0 shows it as its last lines)
                stdout, stderr = '', ('' if LIVE.closed else f'[{lost}]')  # (at exit: by us)
            text = _shell_output(stdout, stderr, _exit_line(code))
            # (_cancelled is read without the lock: it only changes what the log says)
            if self._cancelled and (stdout or stderr):
                text = ('[stopped early (a timeout, a cancel, a check() that raised); its output '
                        'follows]\n' + text)
            with self._log_lock:  # in one write: a reader sees all of it, or none
                context.log(text)
                self._logged = True
            if code == 0:  # only a success publishes
                outputs = outputs_from(shell.read_outputs(), context.log)
        except ShellTrouble as refusal:
            trouble = str(refusal)
        except Exception as error:  # pylint: disable=broad-exception-caught
            trouble = (f'the command could not be started: {describe(error)}' if shell is None
                       else f"the command's exit could not be collected: {describe(error)}")
        finally:
            self._result = (code, _error_tail(stderr), outputs, trouble)
            if shell is not None:
                with self._log_lock:  # its files go: nothing more to read live
                    self._logged = True
                LIVE.release(shell)
            self._collected.set()
            context.wake()


def _shell_output(stdout, stderr, ending):
    """A shell's output as its log shows it: stdout, then stderr below a marker, then
    `ending` (its exit code, say)."""
    parts = [stdout.rstrip('\n')] if stdout else []
    if stderr:
        parts += ['[stderr]', stderr.rstrip('\n')]
    return '\n'.join(parts + [ending])


def _error_tail(stderr):
    """The last lines of stderr that say something (blank ones do not), for the error of an
    exit code other than 0: at most STDERR_LINES_IN_ERROR lines and STDERR_CHARS_IN_ERROR."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    tail = '\n'.join(lines[-STDERR_LINES_IN_ERROR:])
    if len(tail) > STDERR_CHARS_IN_ERROR:  # one endless line must not flood the error
        tail = '...' + tail[-STDERR_CHARS_IN_ERROR:]
    return tail


def _exit_line(code):
    """How a shell's log says it ended: its exit code, the signal that killed it, or neither."""
    if code is None:
        return '[its exit code was lost]'
    return f'[killed by signal {signal_name(-code)}]' if code < 0 else f'[exit code {code}]'


def signal_name(number):
    """SIGKILL for 9, SIGRTMIN+3 for a real-time signal (they have no name of their own)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        if signal.SIGRTMIN <= number <= signal.SIGRTMAX:
            return f'SIGRTMIN+{number - signal.SIGRTMIN}'
        return str(number)
