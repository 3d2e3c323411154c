"""What a shell can be given: a command, an environment, a folder to work in.

A shell step's arguments are checked when the step is made, not when its
shell starts: a process cannot be given a NUL character or a name with '=' in
its environment, and Popen would refuse them only in the step's own thread,
with a TypeError or a ValueError of its own. One thing a shell may take and
still lose: an environment name that is no shell variable name (`MY-VAR`),
which dash, the /bin/sh of Debian and Ubuntu, does not pass on to the
programs it starts.
"""
import os
import re
from collections.abc import Mapping

_SHELL_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')  # a name /bin/sh passes on


def shell_arguments_problem(command, env, cwd):
    """What a shell cannot be given in `command`, `env` (names to values) and `cwd`, in
    words, or None."""
    if not isinstance(command, str) or not command.strip() or not passes_to_a_process(command):
        return (f'command must be a non-empty string of shell code, with no NUL character, not '
                f'{command!r}')
    if env is not None and not isinstance(env, Mapping):
        return f'env must be a dict of names to values, not {type(env).__name__} {env!r}'
    for key, value in (env or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            return (f'env holds {key!r}: {value!r}; environment variable names and values are '
                    f'text: write {str(key)!r}: {str(value)!r}')
        if not key or '=' in key or not passes_to_a_process(key + value):
            return (f'env holds {key!r}: {value!r}, which a process cannot be given; a name '
                    "needs at least one character and no '=', and neither may hold a NUL "
                    'character or a lone surrogate')
    if cwd is not None and not isinstance(cwd, (str, bytes, os.PathLike)):
        return f'cwd must be the path of a folder, not {type(cwd).__name__} {cwd!r}'
    return None


def names_a_shell_drops(env):
    """The names in `env` that /bin/sh may not pass on: dash passes only a shell variable's,
    bash any. A warning, not a refusal: a whole environment copied may hold them."""
    return [name for name in env if not _SHELL_NAME.fullmatch(name)]


def passes_to_a_process(text):
    """True if `text` can go into a process's environment as it is: no NUL character, and
    encodable (a lone surrogate such as '\\ud800' is not)."""
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return '\0' not in text
