"""The kept vects: history_size at most, the oldest ended one going first."""
from types import SimpleNamespace

from oautom.history import History


def vect(name, ended):
    return SimpleNamespace(name=name, ended=lambda: ended)


def test_the_oldest_ended_vect_goes_first_and_a_running_one_only_when_all_run():
    history = History(2)
    running, done, later = vect('running', False), vect('done', True), vect('later', True)
    for kept in (running, done, later):
        history.keep(kept)
    assert history.newest_first() == [later, running]  # 'done' went, older 'running' stayed
    also_running = [vect(f'r{i}', False) for i in range(2)]
    history = History(2)
    for kept in also_running + [vect('new', False)]:
        history.keep(kept)
    assert [kept.name for kept in history.newest_first()] == ['new', 'r1']
