package flow

import (
	"sort"
	"strings"
)

// graph is the flow's actions as nodes (by document index) and their
// branches to existing actions as edges.
type graph struct {
	f     *Flow
	edges [][]int
}

func newGraph(f *Flow, ids map[string]int) *graph {
	g := &graph{f: f, edges: make([][]int, len(f.Actions))}
	for i, a := range f.Actions {
		add := func(target string) {
			if j, ok := ids[target]; ok {
				g.edges[i] = append(g.edges[i], j)
			}
		}
		add(a.Transitions.NextAction)
		for _, e := range a.Transitions.Errors {
			add(e.NextAction)
		}
		for _, c := range a.Transitions.Conditions {
			add(c.NextAction)
		}
	}
	return g
}

// unreachable warns about actions no path from the start reaches. Console
// exports can hold unconnected blocks and Connect does not reject them, so
// these are warnings.
func (g *graph) unreachable(start int, r *report) {
	seen := make([]bool, len(g.edges))
	stack := []int{start}
	seen[start] = true
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range g.edges[n] {
			if !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			a := g.f.Actions[i]
			r.at(i, a.Identifier)
			r.warn(CodeUnreachableAction, "", "no path from StartAction reaches this action")
		}
	}
	r.id, r.base = "", ""
}

// exits says whether the flow can end at action i: a terminal action, a
// transfer (whose success leaves the flow), an action the validator does
// not know (already reported), or an action whose default branch is
// missing and whose conditions need not cover every result.
func (g *graph) exits(i int) bool {
	a := g.f.Actions[i]
	d := Lookup(a.Type)
	if d == nil || d.Unsupported != "" || d.Terminal || d.EndsOnSuccess {
		return true
	}
	return a.Transitions.NextAction == "" && !d.RequireAllResults
}

// cycles reports every loop the flow can never leave: a strongly
// connected set of actions with no branch out of it and no action in it
// that ends the flow. In customer queue and hold flows such a loop is the
// normal shape (the flow runs until an agent takes the contact or the hold
// ends), so there it is reported only if no action in it pauses, which
// would spin without end.
func (g *graph) cycles(flowType string, r *report) {
	for _, scc := range g.sccs() {
		if len(scc) == 1 && !g.selfLoop(scc[0]) {
			continue
		}
		in := make(map[int]bool, len(scc))
		for _, n := range scc {
			in[n] = true
		}
		closed, pauses := true, false
		for _, n := range scc {
			if g.exits(n) {
				closed = false
				break
			}
			for _, m := range g.edges[n] {
				if !in[m] {
					closed = false
				}
			}
			if d := Lookup(g.f.Actions[n].Type); d != nil && d.Pauses {
				pauses = true
			}
		}
		if !closed {
			continue
		}
		if pauses && (flowType == CustomerQueue || contains(holdFlows, flowType)) {
			continue
		}
		sort.Ints(scc)
		names := make([]string, len(scc))
		for k, n := range scc {
			names[k] = quote(g.f.Actions[n].Identifier)
		}
		first := g.f.Actions[scc[0]]
		r.at(scc[0], first.Identifier)
		r.add(CodeCycleWithoutExit, "", "actions "+strings.Join(names, ", ")+" form a loop that never reaches an action that ends the flow")
	}
	r.id, r.base = "", ""
}

func (g *graph) selfLoop(n int) bool {
	for _, m := range g.edges[n] {
		if m == n {
			return true
		}
	}
	return false
}

// sccs returns the strongly connected components (Tarjan). Flows have at
// most 250 actions, so recursion depth is bounded.
func (g *graph) sccs() [][]int {
	n := len(g.edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.edges[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for v := range n {
		if index[v] < 0 {
			visit(v)
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
