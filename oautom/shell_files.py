"""The three files of a shell step: stdout, stderr and $OAUTOM_OUTPUT.

A Shell (shell.py) makes them in oautom's folder (live_shells.py), gives them
to its command, and reads them while it runs (a live `vect.log()`) and once
it has exited:

    new_file(paths, stem, stream)     a new file only its owner may use
    read_as_owner(read, *paths)       read(*paths), where read is one of these two:
    stream_tails(stdout, stderr)      their tails, which fit in one step log
    output_text(path)                 the text of $OAUTOM_OUTPUT, at most 1 MiB
    outputs_from(text, log)           the outputs in that text: its key=value lines
    remove_files(paths)               they were read: remove them

A command can reach its files (it is told where $OAUTOM_OUTPUT is), and runs
as the engine's user: it may take them away (a `chmod 000` of their folder,
a umask of 0777), or remove them. The engine owns them, so it gives itself
back the right to read and remove them (give_back: only their owner may use
them, as they were made). What cannot be read even then raises ShellTrouble,
in words: for stdout and stderr, its step's log says their text is lost (its
exit code still decides how it ends); for $OAUTOM_OUTPUT, the step fails. An
$OAUTOM_OUTPUT that the command never made, or removed, published nothing.
"""
import contextlib
import os
import shutil
import stat

from .step_log import LOG_LIMIT

OUTPUTS_LIMIT = 1024 * 1024  # bytes of $OAUTOM_OUTPUT read at most
IGNORED_LINES_SHOWN = 3  # lines of $OAUTOM_OUTPUT that are not key=value, named in the log
IGNORED_LINE_CHARS = 80  # characters shown of each


class ShellTrouble(Exception):
    """A shell step cannot end as its command did; the message says why, as its error."""


class OutputsTooLarge(ShellTrouble):
    """$OAUTOM_OUTPUT holds more than OUTPUTS_LIMIT bytes."""


def new_file(paths, stem, stream):
    """A new file `stem.stream` that only its owner may read; return a descriptor open for
    writing. Its path goes to `paths[stream]` first, so that a failure after it was made
    still removes it."""
    path = paths[stream] = f'{stem}.{stream}'
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def read_as_owner(read, *paths):
    """read(*paths), of a shell's files; if a command took them away, again once they are
    given back. ShellTrouble if one was removed, or still cannot be read."""
    try:
        return read(*paths)
    except PermissionError:
        give_back(os.path.dirname(paths[0]), paths)
    except OSError as error:
        raise ShellTrouble(_lost(error)) from None
    try:
        return read(*paths)
    except OSError as error:
        raise ShellTrouble(_lost(error)) from None


def give_back(folder, paths=()):
    """Make `folder` and the files at `paths` in it this process's user's alone again, as
    they were made: a command running as that user may have changed them (chmod 000). Only
    what is still its own: never what a symbolic link put in their place points to."""
    for path, mode in [(folder, 0o700)] + [(path, 0o600) for path in paths]:
        with contextlib.suppress(OSError):  # removed: read() then says so
            found = os.lstat(path)
            if not stat.S_ISLNK(found.st_mode) and found.st_uid == os.geteuid():
                os.chmod(path, mode)


def _lost(error):
    """A step's error for a file of its shell that cannot be read: `error`, an OSError."""
    return (f'what the command wrote is lost: its file {error.filename} could not be read '
            f"({error.strerror}); a command removed it, or oautom's folder, or took it away "
            'while the step ran: leave the oautom-* folders in the temporary folder alone')


def stream_tails(stdout_path, stderr_path):
    """The text of a shell's stdout and stderr files, each cut to its tail (behind a marker
    saying how much was dropped) so that both fit in one step log."""
    # (An OSError, for a file that a command removed, say, is read_as_owner's to word)
    out_size, err_size = os.path.getsize(stdout_path), os.path.getsize(stderr_path)
    # Both fit in the log: stderr keeps half of it, or more when stdout needs less.
    budget = LOG_LIMIT - 4096  # room for the command line and the markers
    keep_err = min(err_size, max(budget // 2, budget - out_size))
    keep_out = min(out_size, budget - keep_err)
    return (_tail(stdout_path, 'stdout', keep_out, out_size),
            _tail(stderr_path, 'stderr', keep_err, err_size))


def _tail(path, stream, keep, size):
    """The last `keep` of the first `size` bytes of the file at `path` (its size when it was
    measured), as text, behind a marker if cut. What a command still writing has added since
    is for the next read: counted from the new end, it would cut the head of what fits."""
    if not keep:
        return ''
    with open(path, 'rb') as file:
        end = min(size, file.seek(0, os.SEEK_END))  # a command may have cut its file since
        start = max(0, end - keep)
        file.seek(start)
        data = file.read(end - start)
    if not start:
        return data.decode('utf-8', errors='replace')
    # Begin on a whole character: skip what is left of one cut in two (at most 3 UTF-8
    # continuation bytes)
    cut = next((i for i, byte in enumerate(data[:3]) if byte & 0xC0 != 0x80), min(3, len(data)))
    text = data[cut:].decode('utf-8', errors='replace')
    return f'[... {start + cut} earlier bytes of {stream} dropped ...]\n{text}'


def output_text(path):
    """The text of the $OAUTOM_OUTPUT file at `path`, each line ended by a newline; '' if
    the command made none. OutputsTooLarge past OUTPUTS_LIMIT: outputs are for small values."""
    try:  # O_NONBLOCK: a FIFO put in the file's place must not block this thread
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):  # most commands publish nothing
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
    try:  # (utf-8-sig: a file saved by an editor may begin with a byte-order mark)
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as error:  # replaced, a value would be changed without a word
        raise ShellTrouble(f'$OAUTOM_OUTPUT is not UTF-8 text: byte {data[error.start]:#x} at '
                           f'{error.start} is not; write its values in UTF-8') from None
    return text.replace('\r\n', '\n').replace('\r', '\n')  # lines end as in Python's files


def outputs_from(text, log):
    """The outputs in the text of $OAUTOM_OUTPUT: one per `key=value` line. The other lines
    are ignored; `log`, the step's, names the first few of them that are not blank."""
    outputs, ignored = {}, []
    for line in text.split('\n'):
        key, sep, value = line.partition('=')
        # (a byte-order mark: decoding drops one at the start; `cat` of a file saved with one
        # brings it to any line)
        key = key.strip().lstrip('\ufeff')
        if sep and key:
            outputs[key] = value
        elif line.strip():
            ignored.append(line)
    if ignored:
        shown = []
        for line in ignored[:IGNORED_LINES_SHOWN]:  # a line cut short ends with '...'
            cut = len(line) > IGNORED_LINE_CHARS
            shown.append(repr(line[:IGNORED_LINE_CHARS]) + ('...' if cut else ''))
        if len(ignored) > IGNORED_LINES_SHOWN:
            shown.append('...')
        log(f'[$OAUTOM_OUTPUT: {len(ignored)} line(s) ignored, not key=value: '
            f'{", ".join(shown)}; write one key=value per line]')
    return outputs


def remove_files(paths):
    """Remove a shell's files at `paths`; safe to call twice."""
    for path in paths:
        try:
            _remove(path)
        except PermissionError:  # a command took their folder away: given back
            give_back(os.path.dirname(path))
            with contextlib.suppress(OSError):
                _remove(path)
        except OSError:  # the folder was removed or replaced: nothing is left to remove
            pass


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # already removed (by the command, or at interpreter exit)
    except IsADirectoryError:  # the command put a folder in its place
        shutil.rmtree(path, ignore_errors=True)
