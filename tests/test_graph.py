"""Cycle finding: one loop per strongly connected component, without recursion."""
from oautom.graph import find_cycles, has_cycle, strongly_connected_components


def graph(edges, nodes):
    downstream = {node: [] for node in nodes}
    for upstream, down in edges:
        downstream[upstream].append(down)
    return downstream


def test_a_dag_has_no_cycle():
    assert find_cycles(list('abcd'), graph(['ab', 'ac', 'bd', 'cd'], 'abcd')) == []


def test_components_of_a_graph():
    components = strongly_connected_components(list('abcd'), graph(['ab', 'ba', 'bc'], 'abcd'))
    assert sorted(sorted(c) for c in components) == [['a', 'b'], ['c'], ['d']]


def test_each_cycle_starts_at_its_first_node_in_definition_order():
    nodes = list('xyzab')
    assert find_cycles(nodes, graph(['zy', 'yz', 'ab', 'ba'], nodes)) == [
        ['y', 'z', 'y'], ['a', 'b', 'a']]


def test_the_loop_printed_is_a_shortest_one_through_its_start():
    nodes = list('abcd')
    cycles = find_cycles(nodes, graph(['ab', 'bc', 'cd', 'da', 'ba'], nodes))
    assert cycles == [['a', 'b', 'a']]


def test_a_very_long_cycle_is_found_iteratively():
    nodes = [f'n{i}' for i in range(20_000)]
    edges = list(zip(nodes, nodes[1:])) + [(nodes[-1], nodes[0])]
    downstream = {node: [] for node in nodes}
    for upstream, down in edges:
        downstream[upstream].append(down)
    (loop,) = find_cycles(nodes, downstream)
    assert len(loop) == 20_001 and loop[0] == loop[-1] == 'n0'


class Node:  # pylint: disable=too-few-public-methods
    """A stand-in step: has_cycle only reads `name` and `upstream`."""
    count = 0

    def __init__(self, *upstream):
        Node.count += 1
        self.name = f'n{Node.count}'
        self.upstream = list(upstream)


def test_has_cycle_answers_whether_the_upstream_links_loop():
    a = Node()
    b, c = Node(a), Node(a)
    d = Node(b, c)
    assert not has_cycle([a, b, c, d])
    a.upstream.append(d)  # d -> a closes a -> b -> d -> a and a -> c -> d -> a
    assert has_cycle([a, b, c, d])


def test_has_cycle_walks_a_long_chain_without_recursion():
    chain = [Node()]
    for _ in range(20000):
        chain.append(Node(chain[-1]))
    assert not has_cycle(chain)
    chain[0].upstream.append(chain[-1])
    assert has_cycle(chain)
