"""One-to-one matching by exact amount within a date window, never guessing a tie.

Statement lines are matched to sources (payments, or processor payouts) of exactly the
same amount whose dates are close enough. Among several candidates the nearest date
wins, but only when it is nearest from both sides; what is left is solved exactly when
small, and otherwise reported. The rules, in order:

1. **one candidate**: a source with only one line it can be gets it, when that line has
   room for every source with nowhere else to go;
2. **nearest date** on both sides: a source whose nearest line is one line, and a line
   whose nearest sources all have it as theirs (as many as there are identical lines),
   are matched; the two rules repeat until nothing changes, since each match can leave
   another source with one candidate, or make another pair nearest.
3. **best overall**: a group of lines and sources still tied, of at most a few each, is
   matched when exactly one assignment matches the most of them with the least total
   distance in days; a larger one (**all accounted for**) when every source and every
   line of it can be matched at once, so that nothing is left out whichever pairing is
   taken (the nearest dates are paired first).
4. Anything else with a candidate is **ambiguous**: reported, for a person to choose.

Lines that nothing distinguishes (same account, day, amount, type and masked
description) are interchangeable, and so are payments the bank cannot tell apart (same
amount, received the same day, paid the same way): matching two such payments to two
such lines is no guess, whichever line each one gets, and neither is filling the lines
of one day with as many of a day's identical payments as there are lines (the first
payment by ID takes the first line by ID). Everything is decided on IDs and dates,
never on row order.
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Assignment", "Node", "assign"]

#: Largest number of assignments the exact step tries before calling a group ambiguous.
EXACT_LIMIT = 20_000


class Node(NamedTuple):
    """A line or a source. ``same``: what makes identical nodes interchangeable (None:
    nothing); ``window``: the days ``line day - source day`` may be (sources);
    ``lanes``: a source may join a line that shares one."""

    id: str
    day: int
    amount: int
    lanes: frozenset[str]
    same: Hashable = None
    window: tuple[int, int] = (0, 0)


@dataclass
class Assignment:
    """Pairs matched (line ID, source ID, rule) and the groups left ambiguous."""

    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    ambiguous: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)


@dataclass(eq=False)
class _Group:
    """Interchangeable nodes of one side, used in ID order."""

    key: tuple[str, int, int]
    members: list[Node]
    used: int = 0
    left: int = 0  # members not used yet (read in every step: kept, not counted)
    name: str = ""  # the key as one text (``_skey``)
    day: int = 0

    def __post_init__(self) -> None:
        self.name = self.key[0] + repr(self.key[1:])
        self.day = self.key[1]
        self.left = len(self.members)

    def add(self, node: Node) -> None:
        self.members.append(node)
        self.left += 1

    def take(self) -> Node:
        self.used += 1
        self.left -= 1
        return self.members[self.used - 1]

    def rest(self) -> list[str]:
        return [n.id for n in self.members[self.used :]]


#: Source group key -> (days apart, line group), the line groups in date order (by day, key).
_Edges = dict[str, list[tuple[int, _Group]]]


def _groups(nodes: Sequence[Node]) -> list[_Group]:
    found: dict[tuple[str, int, int], _Group] = {}
    kinds: dict[tuple[Hashable, frozenset[str], tuple[int, int]], str] = {}
    for node in sorted(nodes, key=lambda n: n.id):
        if node.same is None:
            first = node.id
        else:  # the same text for equal nodes, whatever order their lanes were made in
            kind = (node.same, node.lanes, node.window)
            first = kinds.get(kind) or kinds.setdefault(
                kind, repr((node.same, sorted(node.lanes), node.window))
            )
        key = (first, node.day, node.amount)
        if key in found:
            found[key].add(node)
        else:
            found[key] = _Group(key, [node])
    return list(found.values())


def assign(lines: Sequence[Node], sources: Sequence[Node]) -> Assignment:
    """Match ``lines`` to ``sources`` one to one (see the module docstring)."""
    out = Assignment()
    by_amount: dict[int, list[_Group]] = defaultdict(list)
    for g in _groups(lines):
        by_amount[g.members[0].amount].append(g)
    for group in by_amount.values():
        group.sort(key=lambda g: (g.day, g.key))
    days_of = {amount: [g.day for g in group] for amount, group in by_amount.items()}
    edges: _Edges = {}
    source_groups: dict[str, _Group] = {}
    for s in _groups(sources):
        head = s.members[0]
        group = by_amount.get(head.amount, [])
        days = days_of.get(head.amount, [])
        lo = bisect.bisect_left(days, head.day + head.window[0])
        hi = bisect.bisect_right(days, head.day + head.window[1])
        near = [(abs(g.day - head.day), g) for g in group[lo:hi] if g.members[0].lanes & head.lanes]
        if near:
            edges[s.name] = near
            source_groups[s.name] = s
    for component in _components(edges):
        _solve([source_groups[k] for k in component], edges, out)
    return out


def _components(edges: _Edges) -> list[list[str]]:
    """Source groups linked through shared candidate lines, each sorted."""
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for source, near in edges.items():  # sources by name, line groups as themselves
        root = find(source)
        for _, g in near:
            parent[find(g)] = root
    found: dict[object, list[str]] = defaultdict(list)
    for source in edges:
        found[find(source)].append(source)
    return [sorted(g) for g in sorted(found.values(), key=min)]


def _skey(s: _Group) -> str:
    return s.name


def _live(near: list[tuple[int, _Group]]) -> list[tuple[int, _Group]]:
    return [(d, g) for d, g in near if g.left > 0]


def _pair(line: _Group, source: _Group, count: int, rule: str, out: Assignment) -> None:
    for _ in range(count):
        out.pairs.append((line.take().id, source.take().id, rule))


def _solve(sources: list[_Group], edges: _Edges, out: Assignment) -> None:
    if _all_accounted(sources, edges, out):
        return
    while _only_round(sources, edges, out) or _nearest_round(sources, edges, out):
        pass
    rest = {_skey(s): s for s in sources if s.left and _live(edges[_skey(s)])}
    for keys in _components({k: _live(edges[k]) for k in rest}):
        group = [rest[k] for k in keys]
        if not (_best_overall(group, edges, out) or _all_accounted(group, edges, out)):
            lines = {i for s in group for _, g in _live(edges[_skey(s)]) for i in g.rest()}
            out.ambiguous.append(
                (tuple(sorted(lines)), tuple(sorted(i for s in group for i in s.rest())))
            )
    for s in sources:
        if s.used and s.left:
            _undo(s, out)


def _all_accounted(group: list[_Group], edges: _Edges, out: Assignment) -> bool:
    """Match a group when every source and every line of it can be matched at once:
    then nothing is left out whichever pairing is taken. The pairing taken is first in,
    first out (sources in date order, each to the earliest line it can be), which never
    crosses two pairs' dates; a pair is named by what made it obvious, when anything did."""
    if len(group) == 1 and group[0].left:  # the usual group: one source, one line group
        (source,) = group
        near = _live(edges[source.name])
        if len(near) == 1 and near[0][1].left == source.left:
            _pair(near[0][1], source, source.left, "one candidate", out)
            return True
    live = {s.name: _live(edges[s.name]) for s in group if s.left}
    lines = {id(g): g for near in live.values() for _, g in near}
    wanted = sum(s.left for s in group)
    if not wanted or wanted != sum(g.left for g in lines.values()):
        return False
    slots = sorted((s for s in group for _ in range(s.left)), key=lambda s: (s.day, s.key))
    order = sorted(lines.values(), key=lambda g: (g.day, g.key))
    seats = [g for g in order for _ in range(g.left)]
    first_seat: dict[int, int] = {}
    for i, g in enumerate(seats):
        first_seat.setdefault(id(g), i)
    choices = {  # each source's seats, earliest line first (candidates are in date order)
        name: [first_seat[id(g)] + k for _, g in near for k in range(g.left)]
        for name, near in live.items()
    }
    taken = _perfect([choices[s.name] for s in slots], len(seats))
    if taken is None:
        return False
    obvious: dict[tuple[str, int], str] = {}
    rules = [
        obvious.get((s.name, id(seats[seat])))
        or obvious.setdefault((s.name, id(seats[seat])), _obvious(live[s.name], seats[seat]))
        for s, seat in zip(slots, taken, strict=True)
    ]
    for s, seat, rule in zip(slots, taken, rules, strict=True):
        _pair(seats[seat], s, 1, rule, out)
    return True


def _obvious(near: list[tuple[int, _Group]], line: _Group) -> str:
    """What made pairing a source (its live candidates ``near``) with ``line`` obvious."""
    if len(near) == 1:
        return "one candidate"
    best = min(d for d, _ in near)
    if [g for d, g in near if d == best] == [line]:
        return "nearest date"
    return "all accounted for"


def _perfect(options: list[list[int]], seats: int) -> list[int] | None:
    """A seat for every slot (each slot's options nearest first), or None when no
    assignment seats them all: nearest seats first, then augmenting paths."""
    owner: list[int] = [-1] * seats
    seat_of: list[int] = [-1] * len(options)
    for i, choices in enumerate(options):  # nearest free seat first
        for j in choices:
            if owner[j] < 0:
                owner[j], seat_of[i] = i, j
                break
    for i in range(len(options)):
        if seat_of[i] < 0 and not _augment(i, options, owner, seat_of):
            return None
    return seat_of


def _augment(start: int, options: list[list[int]], owner: list[int], seat_of: list[int]) -> bool:
    """Seat ``start`` by moving others along an alternating path (breadth first)."""
    came: dict[int, tuple[int, int]] = {}  # seat -> (slot that reached it, previous seat)
    queue, seen = deque([(start, -1)]), set()
    while queue:
        slot, via = queue.popleft()
        for j in options[slot]:
            if j in seen:
                continue
            seen.add(j)
            came[j] = (slot, via)
            if owner[j] < 0:
                while j >= 0:  # flip the path back to the start
                    slot, previous = came[j]
                    owner[j], seat_of[slot] = slot, j
                    j = previous
                return True
            queue.append((owner[j], j))
    return False


def _undo(source: _Group, out: Assignment) -> None:
    """Take back the matches of interchangeable sources some of which are left out: which
    of them is missing is not a question the statement answers."""
    members = {n.id for n in source.members}
    taken = [p for p in out.pairs if p[1] in members]
    out.pairs[:] = [p for p in out.pairs if p[1] not in members]
    out.ambiguous = [a for a in out.ambiguous if not members & set(a[1])]
    lines = tuple(sorted(p[0] for p in taken))
    out.ambiguous.append((lines, tuple(sorted(members))))


def _only_round(sources: list[_Group], edges: _Edges, out: Assignment) -> bool:
    """Give each line group the sources it is the only candidate of, when it has room
    for all of them (a source with one place to go never loses it to one with two)."""
    only: dict[int, list[_Group]] = defaultdict(list)
    lines: dict[int, _Group] = {}
    for s in sources:
        near = _live(edges[_skey(s)]) if s.left else []
        if len(near) == 1:
            only[id(near[0][1])].append(s)
            lines[id(near[0][1])] = near[0][1]
    progress = False
    for key, wanting in sorted(only.items(), key=lambda kv: lines[kv[0]].key):
        line = lines[key]
        if sum(s.left for s in wanting) > line.left:
            continue  # more sources than lines with nowhere else to go: a tie
        for s in wanting:
            _pair(line, s, s.left, "one candidate", out)
        progress = True
    return progress


def _nearest_round(sources: list[_Group], edges: _Edges, out: Assignment) -> bool:
    """Fill each line group with its nearest sources when they are mutually nearest."""
    choice: dict[int, _Group] = {}
    wanted: dict[int, list[tuple[int, _Group]]] = defaultdict(list)
    lines: dict[int, _Group] = {}
    for s in sources:
        near = _live(edges[_skey(s)]) if s.left else []
        if not near:
            continue
        best = min(d for d, _ in near)
        at_best = [g for d, g in near if d == best]
        if len(at_best) == 1:
            choice[id(s)] = at_best[0]
        for d, g in near:
            wanted[id(g)].append((d, s))
            lines[id(g)] = g
    progress = False
    for key, candidates in sorted(wanted.items(), key=lambda kv: lines[kv[0]].key):
        line = lines[key]
        best = min(d for d, _ in candidates)
        nearest = [s for d, s in candidates if d == best and s.left]
        if not nearest or line.left == 0 or any(choice.get(id(s)) is not line for s in nearest):
            continue
        need = sum(s.left for s in nearest)
        if need > line.left and (len(nearest) > 1 or not _rest_fits(nearest[0], line, edges)):
            continue  # more sources than lines, and not all can go elsewhere: a tie
        for s in nearest:
            _pair(line, s, min(s.left, line.left), "nearest date", out)
        progress = True
    return progress


def _rest_fits(source: _Group, line: _Group, edges: _Edges) -> bool:
    """True when the members of ``source`` that ``line`` has no room for have room in
    its other candidates (so filling ``line`` leaves none of them out)."""
    elsewhere = sum(g.left for _, g in _live(edges[_skey(source)]) if g is not line)
    return source.left - line.left <= elsewhere


def _slots(group: list[_Group], edges: _Edges) -> Iterator[tuple[_Group, list[tuple[int, _Group]]]]:
    for s in group:
        near = _live(edges[_skey(s)])
        for _ in range(s.left):
            yield s, near


def _best_overall(group: list[_Group], edges: _Edges, out: Assignment) -> bool:
    """Solve a small tied group exactly; True when one assignment is best (assignments
    that differ only in which of interchangeable nodes goes where are the same)."""
    slots = list(_slots(group, edges))
    size = 1
    for _, near in slots:
        size *= len(near) + 1
        if size > EXACT_LIMIT:
            return False
    room = {id(g): g.left for _, near in slots for _, g in near}
    best: tuple[int, int] | None = None
    winners: set[tuple[tuple[str, str], ...]] = set()
    chosen: list[int] = []  # per slot: index into its candidates, -1 for none

    def walk(i: int, count: int, cost: int) -> None:
        nonlocal best, winners
        if i == len(slots):
            score = (count, -cost)
            outcome = tuple(
                sorted(
                    (_skey(s), repr(near[c][1].key) if c >= 0 else "")
                    for (s, near), c in zip(slots, chosen, strict=True)
                )
            )
            if best is None or score > best:
                best, winners = score, {outcome}
            elif score == best:
                winners.add(outcome)
            return
        s, near = slots[i]
        floor = chosen[-1] if i and slots[i - 1][0] is s else -1  # no permutations of equals
        for c in range(floor, len(near)):
            if c >= 0:
                g = near[c][1]
                if room[id(g)] == 0:
                    continue
                room[id(g)] -= 1
            chosen.append(c)
            walk(i + 1, count + (c >= 0), cost + (near[c][0] if c >= 0 else 0))
            chosen.pop()
            if c >= 0:
                room[id(near[c][1])] += 1

    walk(0, 0, 0)
    if best is None or best[0] == 0 or len(winners) != 1:
        return False
    (winner,) = winners
    matched = defaultdict(set)
    for source_key, line_key in winner:
        matched[source_key].add(line_key != "")
    if any(len(kinds) > 1 for kinds in matched.values()):
        return False  # some of interchangeable sources left out: which ones is a guess
    for (s, _near), c in zip(slots, _replay(slots, winner), strict=True):
        if c is not None:
            _pair(c, s, 1, "best overall", out)
    return True


def _replay(
    slots: list[tuple[_Group, list[tuple[int, _Group]]]], outcome: tuple[tuple[str, str], ...]
) -> list[_Group | None]:
    """The line group of each slot in ``outcome`` (pairs of source and line group keys)."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for source_key, line_key in outcome:
        wanted[source_key].append(line_key)
    out: list[_Group | None] = []
    for s, near in slots:
        key = wanted[_skey(s)].pop(0)
        out.append(next((g for _, g in near if repr(g.key) == key), None))
    return out
