"""The shells of oautom's steps still live, and the folder where they write.

    LIVE.start(command, env, cwd, may_start)
                                    start a Shell (shell.py), unless may_start() says
                                    no, and keep it
    LIVE.release(shell)             it has exited and its files were read: remove
                                    them, and forget it
    LIVE.kill_all()                 at interpreter exit: kill every shell kept, and
                                    remove the folder

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
import os
import shutil
import tempfile
import threading

from .logger import logger
from .shell import Shell
from .shell_files import ShellTrouble, give_back


class LiveShells:
    """The shells started and not yet released, to kill at interpreter exit, and the folder
    where they write."""

    def __init__(self):
        # Guards the four below (but for release()'s discard: see there). start() holds it
        # across Popen, so an exit that comes while a shell is being started waits for it,
        # then kills it; and so does a fork (see the bottom). Reentrant: Shell passes Popen
        # no preexec_fn, but if something patched Popen to pass one, that Popen would run
        # the fork handlers in the thread that holds this lock.
        self._lock = threading.RLock()
        self._shells = set()
        self._closed = False  # the interpreter is exiting: start nothing more
        self._folder = None   # made by the first start(), and again if someone removed it
        self._numbers = itertools.count(1)  # names files: folder/1.stdout, folder/2.stdout...

    def start(self, command, env, cwd, may_start=None):
        """Start a shell and remember it until release(); None if `may_start()`, asked once
        no other shell is being started, says no (its step was cancelled meanwhile)."""
        with self._lock:
            if self._closed:
                raise RuntimeError('the interpreter is exiting; no new command is started')
            if may_start is not None and not may_start():
                return None
            if self._folder is None:
                self._folder = _new_folder()
            try:
                shell = Shell(command, env, cwd, self._new_stem())
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                if not os.path.isdir(self._folder):  # ours was removed or replaced
                    self._folder = _new_folder()
                else:  # a command took it away (chmod 000)? Given back: try once more
                    give_back(self._folder)
                # If the error was about something else (a cwd removed since run() checked
                # it), this second try raises it to the caller.
                shell = Shell(command, env, cwd, self._new_stem())
            self._shells.add(shell)
            return shell

    def hold_off_forks(self):
        """Before os.fork(): wait until no thread is starting a shell (see the bottom)."""
        self._lock.acquire()  # pylint: disable=consider-using-with

    def allow_forks(self):
        """After os.fork(), in the parent."""
        self._lock.release()

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
        # Forgotten only now (until here, an exit must remove its files), and without the
        # lock: start() holds it across a Popen, so with hundreds of shells starting, a
        # cancel() that waits for this release would wait for all of them. (A set's
        # discard() is one atomic step, as is the list() that kill_all() makes of it.)
        self._shells.discard(shell)

    def kill_all(self):
        """At exit: kill every live shell's group and remove its files."""
        with self._lock:
            self._closed = True
            shells = list(self._shells)
        killed = Shell.kill_each(shells)  # those still running: the others only lose files
        for shell in shells:
            shell.remove_files()
        if killed:  # a background app's work ends with the program: say so, or it is lost unseen
            logger.warning('the interpreter is exiting: %d running shell(s) of oautom steps were '
                           'killed', len(killed))
        if self._folder is not None:
            give_back(self._folder)
            shutil.rmtree(self._folder, ignore_errors=True)


def _new_folder():
    """A new folder for shells' files, in the temporary folder (TMPDIR), that only this
    process's user may enter. Its path is absolute: a command may work in another folder."""
    try:
        return os.path.abspath(tempfile.mkdtemp(prefix='oautom-'))
    except OSError as error:
        raise ShellTrouble(f'the command could not be started: oautom could not make a folder '
                           f'for its files in {tempfile.gettempdir()} ({error.strerror}); set '
                           'TMPDIR to a folder this user may write') from None


LIVE = LiveShells()
atexit.register(LIVE.kill_all)
# A process made by os.fork() starts afresh, as if new (see the module docstring): its exit
# must not kill its parent's shells, nor its steps write into its parent's files. And a fork
# waits while a step's thread is in start(): a child made while it was inside mkdtemp() would
# inherit tempfile's lock held, by a thread it does not have, and hang at its first shell.
# (Popen's own fork runs no such handlers, unless it is given a preexec_fn, which Shell never
# does: were it patched to, the lock, reentrant, would let the thread that holds it through.)
os.register_at_fork(before=LIVE.hold_off_forks, after_in_parent=LIVE.allow_forks,
                    after_in_child=LIVE.__init__)
