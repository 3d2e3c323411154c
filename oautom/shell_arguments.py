"""What a shell can be given: a command, an environment, a folder to work in.

A shell step's arguments are checked when the step is made, and again at its
run() for values set since, so that Popen never refuses them in the step's own
thread (a process cannot be given a NUL character or a name with '=' in its
environment: Popen would raise a TypeError or a ValueError of its own).
Whether the folder `cwd` exists is checked at run() only: folders come and go.

One thing a shell may take and still lose: an environment name that is no
shell variable name (`MY-VAR`), which dash, the /bin/sh of Debian and Ubuntu,
does not pass on to the programs it starts: it is warned of, once, not refused.
"""
import os
import re

from .report import short_repr

_SHELL_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')  # a name /bin/sh passes on
_WARNED = set()  # names warned of already: a flow of 10,000 steps with one env says it once


def shell_arguments_problem(command, env, cwd):
    """What a shell cannot be given in `command`, `env` (names to values) and `cwd`, in
    words, or None."""
    if not isinstance(command, str) or not command.strip() or not passes_to_a_process(command):
        return (f'command must be a non-empty string of shell code, with no NUL character or '
                f'lone surrogate, not {short_repr(command)}')
    try:
        env = dict(env or {})  # a dict, or what dict() takes (pairs, keys() and [name])
    except (TypeError, ValueError):
        return f'env must be a dict of names to values, not {type(env).__name__} {short_repr(env)}'
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str):
            fix = (f"{str(key)!r}: '' for an empty value, or leave the name out" if value is None
                   else f'{str(key)!r}: {str(value)!r}')
            return (f'env holds {key!r}: {value!r}; environment variable names and values are '
                    f'text: write {fix}')
        if not key or '=' in key or not passes_to_a_process(key + value):
            return (f'env holds {key!r}: {value!r}, which a process cannot be given; a name '
                    "needs at least one character and no '=', and neither may hold a NUL "
                    'character or a lone surrogate')
    if cwd is not None and not isinstance(cwd, (str, bytes, os.PathLike)):
        return f'cwd must be the path of a folder, not {type(cwd).__name__} {cwd!r}'
    return None


def cwd_problem(cwd):
    """Why a shell cannot work in the folder `cwd` (None: the engine's), in words, or None."""
    if cwd is not None and not os.path.isdir(cwd):
        return (f'cwd {os.fspath(cwd)!r} is not a directory; give BashExecution(..., cwd=...) '
                'a folder that exists')
    if cwd is not None and not os.access(cwd, os.X_OK):  # (root may enter any)
        return (f'cwd {os.fspath(cwd)!r} is a folder this user (uid {os.geteuid()}) may not '
                'enter; give a folder this user may enter, or allow it: chmod u+x (or o+x) '
                'on that folder')
    return None


def names_to_warn_of(env):
    """The names in `env` that /bin/sh may not pass on (dash passes only a shell variable's,
    bash any), and that no step was warned of yet; marks them as warned of, so that a
    second call returns none of them. A warning, not a refusal: a whole environment copied
    may hold them, and those inherited as they are are not warned of."""
    names = [name for name, value in env.items() if not _SHELL_NAME.fullmatch(name)
             and name not in _WARNED and os.environ.get(name) != value]
    _WARNED.update(names)
    return names


def passes_to_a_process(text):
    """True if `text` can go into a process's environment as it is: no NUL character, and
    encodable (a lone surrogate such as '\\ud800' is not)."""
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return '\0' not in text
