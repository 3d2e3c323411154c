"""A shell process in its own process group, and the temporary files it writes.

BashExecution (bash_execution.py) says *what* a shell step does; this module
says how one process is started, watched and cleaned up:

    Shell(command, env, cwd, stem)  /bin/sh -c in a new session (a process group of
                                    its own, with no terminal); stdout, stderr and
                                    $OAUTOM_OUTPUT go to three files, stem.stdout...
    shell.wait()                    the exit code, once what it left running in its
                                    group is killed
    shell.kill()                    kill the whole group, and any group its processes
                                    moved to (timeout, cancel, exit)
    shell.read_streams()            the tails of stdout and stderr, for the step's log
    shell.read_outputs()            the text of $OAUTOM_OUTPUT (OutputsTooLarge past 1 MiB)
    shell.remove_files()            its files were read: remove them (shell_files.py)

live_shells.py keeps every shell started and not yet released, with the
folder of their files, to kill them and remove the files at interpreter exit.

Files rather than pipes: nothing has to read while the shell runs, the engine
keeps no descriptor open per running shell, and the step ends when the shell
exits even if a child it left behind still holds the output open.

"""
import contextlib
import os
import shlex
import signal
import subprocess
import threading

from .shell_files import (ShellTrouble, new_file, output_text, read_as_owner, remove_files,
                          stream_tails)


class ExitLost(ShellTrouble):
    """SIGCHLD is ignored in this process: the system discards every child's exit code."""


IGNORED_SIGCHLD = ('SIGCHLD is ignored in this process (signal.signal(signal.SIGCHLD, '
                   'signal.SIG_IGN), here or in the program that started it), so the system '
                   "discards every command's exit code, which a shell step ends by; restore it "
                   'with signal.signal(signal.SIGCHLD, signal.SIG_DFL)')
OTHER_REAPER = ('something else in this process collected it: os.wait(), os.waitpid(-1, ...) '
                'or a SIGCHLD handler that waits for any child; wait for your own children by '
                'their pid')


def lost_exit_reason():
    """Why a shell's exit code was lost (Shell.wait() returned None), and the fix: as far as
    can be told now (a SIGCHLD ignored a moment, then restored, reads as another reaper)."""
    why = IGNORED_SIGCHLD if _sigchld_ignored() else OTHER_REAPER
    return f"the command's exit code was lost: {why}"


def _sigchld_ignored():
    """True while this process ignores SIGCHLD: the system then reaps every child itself."""
    return signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN


class Shell:
    """One `/bin/sh -c` process in its own group, and its three files: stdout, stderr and
    output ($OAUTOM_OUTPUT, made by the command if it has outputs). The engine keeps none
    open while the shell runs: a wide fan-out cannot run out of descriptors."""

    def __init__(self, command, env, cwd, stem):
        if _sigchld_ignored():  # refused before it starts: no work begun is lost
            raise ExitLost(f'the command was not started: {IGNORED_SIGCHLD}')
        self._lock = threading.Lock()  # guards _reaped: the waiter and cancel() race
        self._reaped = False           # once reaped, the pid may belong to another program
        self.paths = {'output': f'{stem}.output'}  # and 'stdout', 'stderr' once made
        descriptors = []  # of the files made so far, open for writing
        try:
            for stream in ('stdout', 'stderr'):
                descriptors.append(new_file(self.paths, stem, stream))
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
        """Block until the shell exits, kill what it left in its group; return its exit code,
        or None if it was lost: collected by someone else (see lost_exit_reason)."""
        # Wait without reaping: until it is reaped, the exited shell keeps its pid (and so
        # its group id) from being given to another program, so killpg is safe. (Reaped by
        # someone else, its pid is free again, but only since a moment, and its group's id
        # stays taken while a member is left: killpg still reaches only what it left.)
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOWAIT)
        with self._lock:
            self._kill_group()
            try:  # reap it; Popen.wait() would take an exit collected elsewhere for a 0
                _, status = os.waitpid(self.process.pid, 0)
                code = self.process.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                code = None
                self.process.returncode = -1  # Popen's own: else it warns of a live child
            self._reaped = True
        return code

    def kill(self):
        """Kill the shell's whole process group, and the groups its processes moved to,
        unless it was reaped (then nothing of it is left to kill)."""
        Shell.kill_each([self])

    @staticmethod
    def kill_each(shells):
        """Kill those of `shells` not reaped yet, as kill() does, with one look at /proc for
        them all, and return them. Each is kept from being reaped meanwhile (its lock): until
        it is, its pid cannot be another program's session id."""
        # pylint: disable=protected-access  # Shell's own code, for several shells at once
        with contextlib.ExitStack() as held:
            for shell in shells:
                held.enter_context(shell._lock)
            alive = [shell for shell in shells if not shell._reaped]
            for shell in alive:
                shell._kill_group()
            _kill_groups_in_sessions({shell.process.pid for shell in alive})
        return alive

    def _kill_group(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already gone

    def read_streams(self):
        """stdout and stderr as text, each cut to its tail so that both fit in one step log."""
        return read_as_owner(stream_tails, self.paths['stdout'], self.paths['stderr'])

    def read_outputs(self):
        """The text the command appended to $OAUTOM_OUTPUT, each line ended by a newline.
        Raise OutputsTooLarge past OUTPUTS_LIMIT: outputs are for small values."""
        return read_as_owner(output_text, self.paths['output'])

    def remove_files(self):
        """Remove the three files; safe to call twice."""
        remove_files(self.paths.values())


def _kill_groups_in_sessions(sessions):
    """Kill the process groups still in `sessions`, the shells' (a session's id is its
    shell's pid). A command may move processes to a group of their own within its session:
    coreutils `timeout` does, and so does bash's job control (`set -m`); a killpg of the
    shell's group misses them. Only Linux lists its processes (in /proc): elsewhere they are
    out of reach. The cost grows with the processes of the machine (about a microsecond
    each): a kill pays it, never a shell that exits by itself."""
    if not sessions:
        return
    try:
        pids = [int(name) for name in os.listdir('/proc') if name.isdigit()]
    except OSError:  # no /proc (macOS)
        return
    for pid in pids:
        try:  # the group first: were the pid reused between the two, its session would differ
            group = os.getpgid(pid)
            if os.getsid(pid) in sessions:
                os.killpg(group, signal.SIGKILL)
        except OSError:  # it ended meanwhile, or is not ours to signal
            pass
