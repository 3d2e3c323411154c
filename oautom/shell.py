"""A shell process in its own process group, and the temporary files it writes.

BashExecution (bash_execution.py) says *what* a shell step does; this module
says how one process is started, watched and cleaned up:

    LIVE.start(command, env, cwd)   /bin/sh -c in a new session (a process group of
                                    its own, with no terminal); stdout, stderr and
                                    $OAUTOM_OUTPUT go to three files
    shell.wait()                    the exit code, once what it left running is killed
    shell.kill()                    kill the whole group, and any group its processes
                                    moved to (timeout, cancel, exit)
    LIVE.release(shell)             its files were read: remove them
    LIVE                            keeps every shell not yet released, to kill it
                                    and remove its files at interpreter exit

Files rather than pipes: nothing has to read while the shell runs, the engine
keeps no descriptor open per running shell, and the step ends when the shell
exits even if a child it left behind still holds the output open.

The files live in a folder of the process's own, made once (mkdtemp: only
its owner may enter it) and removed at exit. Nobody else can create a file
there, so the names can be plain numbers, cheaper to make than unguessable
ones in the shared temporary folder; and $OAUTOM_OUTPUT can name a file not
made yet, which a command that has outputs creates by appending to it. Each
shell gets new names, never used before: a process that escaped a step's
group (setsid) and still writes to its old files can never write into
another step's log or outputs.

A process made by os.fork() starts afresh: it makes a folder of its own at
its first shell, and has none of its parent's shells. One that ends with
os._exit(), as multiprocessing's children do, runs no atexit functions: its
folder stays behind (empty, if its steps have ended), and its shells still
running are not killed.
"""
import atexit
import itertools
import logging
import os
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import threading

from .step_log import stream_tails

OUTPUTS_LIMIT = 1024 * 1024  # bytes of $OAUTOM_OUTPUT read at most


class OutputsTooLarge(Exception):
    """$OAUTOM_OUTPUT holds more than OUTPUTS_LIMIT bytes."""


class Shell:
    """One `/bin/sh -c` process in its own group, and its three files: stdout, stderr and
    output ($OAUTOM_OUTPUT, made by the command if it has outputs). The engine keeps none
    open while the shell runs: a wide fan-out cannot run out of descriptors."""

    def __init__(self, command, env, cwd, stem):
        self._lock = threading.Lock()  # guards _reaped: the waiter and cancel() race
        self._reaped = False           # once reaped, the pid may belong to another program
        self.paths = {'output': f'{stem}.output'}  # and 'stdout', 'stderr' once made
        descriptors = []  # of the files made so far, open for writing
        try:
            for stream in ('stdout', 'stderr'):
                descriptors.append(_new_file(self.paths, stem, stream))
            # The shell exports $OAUTOM_OUTPUT itself, on the command's first line (so its
            # line numbers stay the user's), and without a step env it inherits our
            # environment as it is: a copy for Popen costs 50 - 100 µs, a tenth of what
            # starting a `true` step costs in all. (A bash that quotes a line-1 syntax
            # error back shows this prefix too; dash, Debian's /bin/sh, does not.)
            export = f'export OAUTOM_OUTPUT={shlex.quote(self.paths["output"])}; '
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                ['/bin/sh', '-c', export + command], stdin=subprocess.DEVNULL,
                stdout=descriptors[0], stderr=descriptors[1], cwd=cwd,
                env={**os.environ, **env} if env else None,
                # A session of its own, so a group of its own: one killpg stops it and its
                # children. And no terminal: a command that asks for a password (ssh, sudo)
                # fails at once, as in Airflow, instead of being stopped forever by SIGTTIN.
                start_new_session=True)
        except BaseException:  # nothing started, so nothing may stay behind
            self.remove_files()
            raise
        finally:  # the shell has its own copies: the engine keeps none open
            for descriptor in descriptors:
                os.close(descriptor)

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
        """Kill the shell's whole process group, and the groups its processes moved to,
        unless it was reaped: then return False."""
        with self._lock:
            if not self._reaped:
                self._kill_group()
                _kill_groups_in_session(self.process.pid)
            return not self._reaped

    def _kill_group(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already gone

    def read_streams(self):
        """stdout and stderr as text, each cut to its tail so that both fit in one step log."""
        return stream_tails(self.paths['stdout'], self.paths['stderr'])

    def read_outputs(self):
        """The text the command appended to $OAUTOM_OUTPUT, each line ended by a newline.
        Raise OutputsTooLarge past OUTPUTS_LIMIT: outputs are for small values."""
        try:  # O_NONBLOCK: a FIFO put in the file's place must not block this thread
            descriptor = os.open(self.paths['output'], os.O_RDONLY | os.O_NONBLOCK)
        except OSError:  # most commands publish nothing; some remove the file
            return ''
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return ''  # a folder, a FIFO, a device (/dev/zero): nothing was published
            with open(descriptor, 'rb', closefd=False) as output_file:
                data = output_file.read(OUTPUTS_LIMIT + 1)
        finally:
            os.close(descriptor)
        if len(data) > OUTPUTS_LIMIT:
            raise OutputsTooLarge(
                f'$OAUTOM_OUTPUT holds more than {OUTPUTS_LIMIT // 2**20} MiB; outputs are for '
                'small values: write big data to a file and publish its path')
        # Lines end as Python's text files see them end
        return data.decode('utf-8', errors='replace').replace('\r\n', '\n').replace('\r', '\n')

    def remove_files(self):
        """Remove the three files; safe to call twice."""
        for path in self.paths.values():
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass  # already removed (by the command, or at interpreter exit)
            except IsADirectoryError:  # the command put a folder in its place
                shutil.rmtree(path, ignore_errors=True)
            except OSError:  # the command took the folder away from us: nothing to do
                pass


def _kill_groups_in_session(session):
    """Kill the process groups still in `session`, the shell's (its id is the shell's pid).
    A command may move processes to a group of their own, within its session: coreutils
    `timeout` does, and so does job control (`set -m`); a killpg of the shell's group misses
    them. Only Linux lists its processes (in /proc): elsewhere they are out of reach."""
    try:
        pids = [int(name) for name in os.listdir('/proc') if name.isdigit()]
    except OSError:  # no /proc (macOS)
        return
    for pid in pids:
        try:
            if os.getsid(pid) == session:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        except OSError:  # it ended meanwhile, or is not ours to signal
            pass


def _new_file(paths, stem, stream):
    """A new file `stem.stream` that only its owner may read; return a descriptor open for
    writing. Its path goes to `paths[stream]` first, so that a failure after it was made
    still removes it."""
    path = paths[stream] = f'{stem}.{stream}'
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


class LiveShells:
    """The shells started and not yet released, to kill at interpreter exit, and the folder
    where they write."""

    def __init__(self):
        # Guards the four below. start() holds it across Popen, so an exit that
        # comes while a shell is being started waits for it, then kills it.
        self._lock = threading.Lock()
        self._shells = set()
        self._closed = False  # the interpreter is exiting: start nothing more
        self._folder = None   # made by the first start(), and again if someone removed it
        self._numbers = itertools.count(1)  # names files: folder/1.stdout, folder/2.stdout...

    def start(self, command, env, cwd):
        """Start a shell and remember it until release()."""
        with self._lock:
            if self._closed:
                raise RuntimeError('the interpreter is exiting; no new command is started')
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix='oautom-')
            try:
                shell = Shell(command, env, cwd, self._new_stem())
            except (FileNotFoundError, NotADirectoryError):
                if os.path.isdir(self._folder):  # not about our folder: a cwd removed, say
                    raise
                self._folder = tempfile.mkdtemp(prefix='oautom-')  # ours was removed or replaced
                shell = Shell(command, env, cwd, self._new_stem())
            self._shells.add(shell)
            return shell

    @property
    def closed(self):
        """True once the interpreter is exiting: kill_all() has begun."""
        return self._closed

    def _new_stem(self):
        """folder/N, for a number N never used before: a shell's files add .stdout..."""
        return os.path.join(self._folder, str(next(self._numbers)))

    def release(self, shell):
        """The shell has exited, was reaped, and its files were read: remove them."""
        shell.remove_files()
        with self._lock:  # only now: until here, an exit must remove its files
            self._shells.discard(shell)

    def kill_all(self):
        """At exit: kill every live shell's group and remove its files."""
        with self._lock:
            self._closed = True
            shells = list(self._shells)
        killed = [shell for shell in shells if shell.kill()]  # not those done, not released yet
        for shell in shells:
            shell.remove_files()
        if killed:  # a background app's work ends with the program: say so, or it is lost unseen
            logging.getLogger('oautom').warning('the interpreter is exiting: %d running shell(s) '
                                                'of oautom steps were killed', len(killed))
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


LIVE = LiveShells()
atexit.register(LIVE.kill_all)
# A process made by os.fork() starts afresh, as if new (see the module docstring): its exit
# must not kill its parent's shells, nor its steps write into its parent's files.
os.register_at_fork(after_in_child=LIVE.__init__)
