"""What a flow or step name may be.

Names travel everywhere: into log lines, URLs (`/vects/etl.3/log/extract`),
templates (`{{ outputs.extract.rows }}`) and Airflow task ids. Allowing only
letters, digits, `_`, `-` and single inner spaces keeps every one of those
places safe without escaping: no dots (they separate a vect id), no braces or
quotes (templates and shells), no slashes (URLs).
"""
import difflib
import re

from .errors import FlowIntegrityError
from .report import short_repr

MAX_LENGTH = 100
_WORD = r'[A-Za-z0-9_-]+'
_NAME = re.compile(rf'{_WORD}(?: {_WORD})*')


def check_name(name, kind):
    """Return `name` if it is a valid name for a `kind` ('flow' or 'step'), else raise."""
    if not isinstance(name, str):
        raise FlowIntegrityError(
            f'a {kind} name must be a string, not {type(name).__name__} {short_repr(name)}')
    if not 1 <= len(name) <= MAX_LENGTH or not _NAME.fullmatch(name):
        raise FlowIntegrityError(
            f'bad {kind} name {shown_name(name)}: use 1 to {MAX_LENGTH} characters among ASCII '
            "letters, digits, '_' and '-', with single spaces only between words "
            "(dots, braces, quotes, slashes and '<>' are not allowed)")
    return name


def counted(number, noun):
    """'1 step', '2 steps': a count, as a repr shows it."""
    return f'{number} {noun}{"" if number == 1 else "s"}'


def shown_name(name):
    """repr(name), or for a name too long to be one, its start and end and its length: a
    message that repeated a name of a million characters would be a megabyte long."""
    if isinstance(name, str) and len(name) > MAX_LENGTH:
        return f'{short_repr(name)} ({len(name)} characters)'
    return short_repr(name) if not isinstance(name, str) else repr(name)


def did_you_mean(name, known):
    """"did you mean 'etl'? " if one of the `known` names is close to the string `name`
    (whatever the case of its letters: 'ETL' is close to 'etl'), else ''."""
    if not isinstance(name, str):  # a name is a string: anything else is close to none
        return ''
    names = [known_name for known_name in known
             if isinstance(known_name, str)]  # a dict's keys may be anything
    close = difflib.get_close_matches(name.lower(), dict.fromkeys(n.lower() for n in names), n=1)
    if not close:
        return ''
    # Names that differ only in case ('rows' and 'ROWS'): the one closest as written
    alike = [known_name for known_name in names if known_name.lower() == close[0]]
    best = max(alike, key=lambda other: difflib.SequenceMatcher(None, name, other).ratio())
    return f'did you mean {best!r}? '
