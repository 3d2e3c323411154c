"""Cycle finding: one loop per strongly connected component, without recursion."""
from oautom.graph import downstream_of, find_cycles, has_cycle, strongly_connected_components


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


def test_cycles_come_in_definition_order_even_when_one_is_upstream_of_another():
    # The search finishes the downstream cycle (y, z) first: it is listed second all the same
    nodes = list('abyz')
    assert find_cycles(nodes, graph(['ab', 'ba', 'by', 'yz', 'zy'], nodes)) == [
        ['a', 'b', 'a'], ['y', 'z', 'y']]


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


def test_has_cycle_answers_whether_the_upstream_links_loop():
    upstream_of = {'a': [], 'b': ['a'], 'c': ['a'], 'd': ['b', 'c']}
    assert not has_cycle(upstream_of)
    upstream_of['a'].append('d')  # d -> a closes a -> b -> d -> a and a -> c -> d -> a
    assert has_cycle(upstream_of)


def test_has_cycle_walks_a_long_chain_without_recursion():
    upstream_of = {'n0': []}
    for i in range(1, 20_001):
        upstream_of[f'n{i}'] = [f'n{i - 1}']
    assert not has_cycle(upstream_of)
    upstream_of['n0'].append('n20000')
    assert has_cycle(upstream_of)


def test_downstream_of_turns_the_edges_round():
    assert downstream_of({'a': [], 'b': ['a'], 'c': ['a', 'b']}) == {
        'a': ['b', 'c'], 'b': ['c'], 'c': []}
