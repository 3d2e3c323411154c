"""Graph algorithms over a flow's steps: cycles, found without recursion.

A flow is a directed graph: an edge `a -> b` means "b depends on a". It may
run only if it has no cycle. Whether it has one is quick to answer: peel off
the steps that nothing depends on, again and again, the way graphlib counts
its way through a graph; a cycle is what can never be peeled (`has_cycle`).
To report *every* cycle at once, precisely, we then split the graph into
strongly connected components (Tarjan's algorithm: a group of steps that can
all reach each other) and, for each group of more than one step (or a step
upstream of itself), return one concrete loop through it: `a -> b -> c -> a`.

Everything here is iterative (explicit stacks), so a chain of 10,000 steps
never meets Python's recursion limit.
"""
from collections import deque


def has_cycle(upstream_of):
    """True if the edges loop. `upstream_of[n]` lists the nodes n depends on (its upstream)."""
    downstream_count = dict.fromkeys(upstream_of, 0)
    for upstream in upstream_of.values():
        for node in upstream:
            downstream_count[node] += 1
    peelable = [node for node, count in downstream_count.items() if count == 0]
    peeled = 0
    while peelable:
        node = peelable.pop()
        peeled += 1
        for upstream in upstream_of[node]:  # one node fewer depends on it
            downstream_count[upstream] -= 1
            if downstream_count[upstream] == 0:
                peelable.append(upstream)
    return peeled < len(downstream_count)


def downstream_of(upstream_of):
    """The same edges, pointing forwards: node -> the nodes that depend on it."""
    downstream = {node: [] for node in upstream_of}
    for node, upstream in upstream_of.items():
        for other in upstream:
            downstream[other].append(node)
    return downstream


def strongly_connected_components(nodes, downstream):
    """Tarjan's algorithm. `downstream[n]` lists n's successors; returns a list of components."""
    index_of, lowlink = {}, {}
    stack, on_stack, components = [], set(), []

    def visit(node):
        index_of[node] = lowlink[node] = len(index_of)
        stack.append(node)
        on_stack.add(node)
        return node, iter(downstream[node])

    for root in nodes:
        if root in index_of:
            continue
        work = [visit(root)]  # frames of (node, its successors left): the recursion, made explicit
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index_of:
                    work.append(visit(successor))
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index_of[successor])
            else:  # every successor seen: node is finished
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index_of[node]:  # node is the root of a component
                    components.append(_pop_component(node, stack, on_stack))
    return components


def _pop_component(root, stack, on_stack):
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return component


def cycle_through(start, members, downstream):
    """A shortest loop from `start` back to itself, staying inside `members`."""
    came_from = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in downstream[node]:
            if successor == start:
                path = [start]  # walk back from node to start, then read it forwards
                while node is not None:
                    path.append(node)
                    node = came_from[node]
                return path[::-1]
            if successor in members and successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    return [start]


def find_cycles(nodes, downstream):
    """One loop per strongly connected component of two or more nodes, in `nodes` order."""
    position = {node: i for i, node in enumerate(nodes)}
    cycles = []
    for component in strongly_connected_components(nodes, downstream):
        # One step alone loops only on itself: depends() refuses that, an upstream list set by
        # hand does not
        if len(component) > 1 or component[0] in downstream[component[0]]:
            start = min(component, key=position.__getitem__)
            cycles.append(cycle_through(start, set(component), downstream))
    cycles.sort(key=lambda loop: position[loop[0]])
    return cycles
