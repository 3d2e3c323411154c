"""One measurement, in a fresh process: `python measure.py CONTENDER WORKLOAD N`.

Prints one JSON line: {"seconds": ..., "peak_mib": ..., "cpu_seconds": ..., ...}.
bench.py runs this file once per measurement, so that every measurement starts
from a cold interpreter and its peak memory is its own.

Workloads:
    W1  chain of N no-op Python steps          a1 -> a2 -> ... -> aN
    W2  fan-out and join of N no-op steps      start -> {m1..mN} -> end
    W3  chain of N `true` shell steps
    W5  hand-off latency: N shell steps, each followed by a step that notes when it runs
    W6  idle cost: CPU seconds used while one `sleep 3` step runs

Contenders:
    floor        graphlib.TopologicalSorter driving a ThreadPoolExecutor(4) (W1, W2)
    waitfloor    the same, waiting with concurrent.futures.wait(FIRST_COMPLETED) (W1, W2)
    dask         dask's threaded scheduler on a ThreadPoolExecutor(4), if dask is
                 installed: a peer, not a floor (W1, W2; bench.py does not run these two)
    bare         a loop of subprocess.run(['/bin/sh', '-c', 'true']) (W3)
    samework     a loop doing per step what BashExecution must: own session and group,
                 stdout and stderr captured, an $OAUTOM_OUTPUT file read at the end (W3)
    foreground   oautom, OAutom(mode=foreground): app.start(...); app.run()
    background   oautom, OAutom(mode=background): app.run(); app.start(...); vect.wait()
"""
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from graphlib import TopologicalSorter
from pathlib import Path
from queue import SimpleQueue

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
from oautom import BashExecution, Execution, Flow, OAutom, OAutomMode, PythonExecution


def no_op(_context=None):
    """The work of a Python step: nothing, so only the engine is measured."""


# -- the shapes, as {node: [upstream nodes]} ---------------------------------------------

def chain(n):
    """a0 -> a1 -> ... -> a(n-1)."""
    return {f'a{i}': [f'a{i - 1}'] if i else [] for i in range(n)}


def fan(n):
    """start -> m0..m(n-1) -> end."""
    graph = {'start': []}
    graph.update({f'm{i}': ['start'] for i in range(n)})
    graph['end'] = [f'm{i}' for i in range(n)]
    return graph


# -- floors ------------------------------------------------------------------------------------

def graphlib_floor(graph):
    """The standard library's own way to run a DAG on a pool of threads.

    Timed as oautom is: from a graph already described (here a dict, there a Flow),
    through checking it and preparing its run (prepare() looks for cycles, as
    app.start() validates the flow and makes the vect), to the end of its last node."""
    start = time.perf_counter()
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    finished = SimpleQueue()
    with ThreadPoolExecutor(4) as pool:
        while sorter.is_active():
            for node in sorter.get_ready():
                pool.submit(no_op).add_done_callback(lambda _, node=node: finished.put(node))
            sorter.done(finished.get())
        return time.perf_counter() - start


def wait_floor(graph):
    """graphlib_floor, waiting for the next finished node the other usual way: with
    concurrent.futures.wait() on the futures not done yet, instead of a done-callback."""
    start = time.perf_counter()
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    pending = {}  # future -> node
    with ThreadPoolExecutor(4) as pool:
        while sorter.is_active():
            for node in sorter.get_ready():
                pending[pool.submit(no_op)] = node
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            sorter.done(*(pending.pop(future) for future in done))
        return time.perf_counter() - start


def dask_peer(graph):
    """dask.threaded.get() on the same graph and pool size (dask must be installed)."""
    from dask.threaded import get  # pylint: disable=import-outside-toplevel,import-error
    tasks = {node: (no_op_of, *upstream) for node, upstream in graph.items()}
    last = list(graph)[-1]  # the chain's last node, the fan-out's end
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        get(tasks, last, pool=pool)
    return time.perf_counter() - start


def no_op_of(*_upstream_results):
    """A dask task's work: nothing, whatever its upstream tasks returned."""


def bare_shell_floor(n):
    """The least a shell step can cost: start /bin/sh, wait for it."""
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(['/bin/sh', '-c', 'true'], check=True)
    return time.perf_counter() - start


def same_work_floor(n):
    """What BashExecution must do per step, with nothing else around it: the shell
    exports $OAUTOM_OUTPUT itself, as oautom's do, so no copy of the environment is made."""
    start = time.perf_counter()
    for _ in range(n):
        descriptor, path = tempfile.mkstemp(prefix='floor-output-')
        os.close(descriptor)
        subprocess.run(['/bin/sh', '-c', f'export OAUTOM_OUTPUT={shlex.quote(path)}; true'],
                       capture_output=True, start_new_session=True, check=True)
        with open(path, encoding='utf-8') as output:
            output.read()
        os.unlink(path)
    return time.perf_counter() - start


# -- oautom --------------------------------------------------------------------------------------

def build(app, graph, make_step):
    """A flow of `graph`'s shape whose steps come from make_step(name, flow)."""
    flow = Flow('bench', app=app)
    steps = {name: make_step(name, flow) for name in graph}
    for name, upstream in graph.items():
        steps[name].depends(*(steps[up] for up in upstream))
    return flow


def run_oautom(mode, graph, make_step):
    """Seconds from app.start() to the end of the vect; the flow is built beforehand."""
    app = OAutom(mode=mode)
    build(app, graph, make_step)
    if mode is OAutomMode.background:
        app.run()
        start = time.perf_counter()
        vect = app.start('bench')
        vect.wait()
    else:
        start = time.perf_counter()
        vect = app.start('bench')
        app.run()
    elapsed = time.perf_counter() - start
    assert vect.state.value == 'success', vect.status()
    return elapsed


def python_step(name, flow):
    """A no-op PythonExecution."""
    return PythonExecution(name, flow, function=no_op)


def shell_step(name, flow):
    """A `true` BashExecution."""
    return BashExecution(name, flow, command='true')


class Stopwatch(Execution):
    """Notes in `started_at` the wall-clock time (ns) at which the engine calls its run()."""

    def __init__(self, name, flow, started_at):
        super().__init__(name, flow)
        self.started_at = started_at

    def run(self, context):
        self.started_at.append(time.time_ns())

    def check(self):
        return True


def hand_off_latency(mode, n, directory):
    """Median ns from a shell step's process ending to its downstream's run()."""
    started_at = []

    def make_step(name, flow):
        if name.startswith('shell'):
            # `exec` makes `date` the step's process: it writes the time, then exits.
            return BashExecution(name, flow, command=f'exec date +%s%N > {directory}/{name}')
        return Stopwatch(name, flow, started_at)
    graph, previous = {}, []
    for i in range(n):
        graph[f'shell{i}'] = previous
        graph[f'watch{i}'] = [f'shell{i}']
        previous = [f'watch{i}']
    run_oautom(mode, graph, make_step)
    ended = [int(Path(directory, f'shell{i}').read_text(encoding='ascii')) for i in range(n)]
    return statistics.median(b - a for a, b in zip(ended, started_at))


def idle_cpu(mode):
    """CPU seconds this process uses while the engine waits on one `sleep 3` step."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    run_oautom(mode, {'sleeper': []},
               lambda name, flow: BashExecution(name, flow, command='sleep 3'))
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(contender, workload, n):
    """Run one measurement; return its result dict."""
    result = {}
    modes = {'foreground': OAutomMode.foreground, 'background': OAutomMode.background}
    shapes = {'W1': chain, 'W2': fan}
    if workload in shapes:
        graph = shapes[workload](n)
        peers = {'floor': graphlib_floor, 'waitfloor': wait_floor, 'dask': dask_peer}
        result['seconds'] = peers[contender](graph) if contender in peers else \
            run_oautom(modes[contender], graph, python_step)
    elif workload == 'W3':
        floors = {'bare': bare_shell_floor, 'samework': same_work_floor}
        result['seconds'] = floors[contender](n) if contender in floors else \
            run_oautom(modes[contender], chain(n), shell_step)
    elif workload == 'W5':
        with tempfile.TemporaryDirectory() as directory:
            result['seconds'] = hand_off_latency(modes[contender], n, directory) / 1e9
    elif workload == 'W6':
        result['seconds'] = idle_cpu(modes[contender])
    else:
        raise SystemExit(f'unknown workload {workload!r}')
    result['peak_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == '__main__':
    print(json.dumps(measure(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
