"""The flows an app knows, by name.

A flow joins an app once (`Flow(name, app=app)`, or `app.register_flow(flow)`
for one built without it), and is then asked for by its name:
`app.start('etl')`, `app.plan('etl', hours=1)`, `app.status('etl')`. A name the
app does not know is refused with the names it knows, and the nearest one
if it is near enough to be a typo. The same flow may join several apps: each
keeps its own vects of it.
"""
import threading

from .errors import FlowIntegrityError, UnknownFlowError
from .flow import Flow
from .names import check_name, did_you_mean, shown_name


class Flows:
    """One app's flows, by name; any thread may add one or look one up."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_name = {}  # flow name -> Flow

    def __repr__(self):
        names = list(self._by_name)  # not names(): a debugger may show it while we hold the lock
        return f'<Flows: {", ".join(map(repr, names)) or "none"}>'

    def register(self, flow):
        """Add `flow`; its name must be new here. Return it."""
        if not isinstance(flow, Flow):
            raise FlowIntegrityError(f'app.register_flow takes a Flow, not '
                                     f'{type(flow).__name__} {flow!r}')
        check_name(flow.name, 'flow')  # renamed since it was made, maybe (a deep copy's new name)
        with self._lock:
            if self._by_name.get(flow.name, flow) is not flow:  # another flow of that name
                raise FlowIntegrityError(
                    f'this app already has a flow named {flow.name!r}; give each flow its own name '
                    '(a notebook cell run again? stop the app and make another: app.stop(); '
                    'app = OAutom())')
            self._by_name[flow.name] = flow
        return flow

    def names(self):
        """The names of the flows, in the order they joined."""
        with self._lock:
            return list(self._by_name)

    def named(self, name):
        """The flow called `name`, or UnknownFlowError saying which names there are."""
        if isinstance(name, Flow):  # app.start(flow): the easiest slip of all
            raise UnknownFlowError(f"unknown flow {name!r}: give the flow's name, {name.name!r}, "
                                   'not the Flow object')
        with self._lock:
            flow = self._by_name.get(name) if isinstance(name, str) else None  # a list: unknown
            known = list(self._by_name)
        if flow is None:  # a typo, or a flow not registered (a near name does not tell which)
            raise UnknownFlowError(f'unknown flow {shown_name(name)}; {did_you_mean(name, known)}'
                                   f'the registered flows are: {", ".join(known) or "none yet"} '
                                   '(a Flow made without app= joins with app.register_flow(flow))')
        return flow

    def runnable(self, name):
        """(The flow called `name`, its steps' options): validated (Flow.checked_options),
        and called so still: one renamed since it joined would have its vects kept, and
        named, by another name."""
        flow = self.named(name)
        options = flow.checked_options()
        if flow.name != name:
            raise FlowIntegrityError(f'flow {name!r} was renamed {flow.name!r} after it was '
                                     'registered: a flow keeps its name; make a new Flow')
        return flow, options

    def __len__(self):
        return len(self._by_name)
