"""The package as a whole: what importing it says on a Python too old for it, the
README's walk through one tick, which must name code that exists, and the package
docstring's reading order, which must name every module."""
import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import oautom
from oautom import Flow, OAutom, OAutomMode, PythonExecution

ROOT = Path(__file__).resolve().parent.parent


def test_an_old_python_is_told_the_version_oautom_needs():
    # A Python 3.10 would fail on `from enum import StrEnum`, deep in the package: say why first
    done = subprocess.run([sys.executable, '-c', 'import sys; sys.version_info = (3, 10, 12); '
                           'import oautom'], cwd=ROOT, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f'ImportError: oautom needs Python 3.11 or newer; this is Python 3.10.12 '
        f'({sys.executable})')


def defined_names(module):
    """'function' and 'Class.method' for what the module at oautom/`module` defines."""
    names = set()
    for node in ast.parse((ROOT / 'oautom' / module).read_text(encoding='utf-8')).body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f'{node.name}.{item.name}' for item in node.body
                         if isinstance(item, ast.FunctionDef))
    return names


def the_walk():
    """The README's walk through one tick: (module, function) in the order it names them."""
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    walk = readme.split('## Follow one tick', 1)[1].split('\n## ', 1)[0]
    steps = re.findall(r'^\d+\. .*?(?=^\d+\. |\Z)', walk, flags=re.MULTILINE | re.DOTALL)
    named, module = [], None
    for token in re.findall(r'`([^`]+)`', ' '.join(steps)):
        if token.endswith('.py'):
            module = token  # the functions that follow are its own
        elif re.fullmatch(r'[A-Za-z_]\w+(\.\w+)?', token):  # not `a`, nor a call such as `f()`
            named.append((module, token))
    return steps, named


def test_the_readme_s_walk_through_one_tick_names_functions_that_exist():
    steps, named = the_walk()
    assert len(steps) == 7 and len(named) > 20
    for module, name in named:
        assert name in defined_names(module), f'{module} defines no {name}'


def test_the_readme_s_walk_through_one_tick_is_what_the_tick_calls():
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl', app=app)
    PythonExecution('a', flow, lambda _: None) >> PythonExecution('b', flow, lambda _: None)
    vect = app.start('etl')
    app.tick()  # starts a
    deadline, calls = time.monotonic() + 5, []
    while vect.status()['executions'][0]['state'] != 'success':  # the tick that ends a
        assert time.monotonic() < deadline
        time.sleep(0.001)
        calls = []
        sys.setprofile(lambda frame, event, _: calls.append(
            (Path(frame.f_code.co_filename).name, frame.f_code.co_qualname))
            if event == 'call' and Path(frame.f_code.co_filename).parent.name == 'oautom'
            else None)
        try:
            app.tick()
        finally:
            sys.setprofile(None)
    remaining, named = iter(calls), []  # each call the walk names comes after the one before
    for call in the_walk()[1]:
        if call not in named:  # else the walk is back in it ("Back in app.py ...")
            assert call in remaining, f'{call} is not called after the calls named before it'
            named.append(call)


def test_the_package_docstring_names_every_module_in_its_reading_order():
    # A module it leaves out is one a learner never hears of (stop_signals.py was, at first)
    named = set(re.findall(r'\b(\w+)\.py\b', oautom.__doc__))
    modules = {path.stem for path in Path(oautom.__file__).parent.glob('*.py')} - {'__init__'}
    assert modules - named == set()
