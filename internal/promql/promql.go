// Package promql checks the PromQL queries Steward's config gives it, with
// the Prometheus project's own parser. Only `steward check-config` imports
// it: the parser is large, and the daemon never needs it, since the query
// API it reads from parses the queries itself.
package promql

import (
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// CheckGrouping parses query and reports a syntax error, a result that is
// not an instant vector, or, where the query's shape tells, a result whose
// series cannot carry the label by (an aggregation that drops it). Where the
// shape does not tell (a plain selector, a function of one), it reports
// nothing: the label may well be on the series.
func CheckGrouping(query, by string) error {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(query)
	if err != nil {
		return err
	}
	if t := expr.Type(); t != parser.ValueTypeVector {
		return fmt.Errorf("the query returns a %s, not an instant vector with one series per system", t)
	}
	if !keeps(expr, by) {
		return fmt.Errorf("the query's result has no %q label: aggregate with by (%s, ...)", by, by)
	}
	return nil
}

// keeps reports whether the series of expr may carry the label.
func keeps(expr parser.Expr, label string) bool {
	switch e := expr.(type) {
	case *parser.AggregateExpr:
		switch {
		case e.Without:
			return !slices.Contains(e.Grouping, label) && keeps(e.Expr, label)
		case e.Op == parser.TOPK || e.Op == parser.BOTTOMK || e.Op == parser.LIMITK || e.Op == parser.LIMIT_RATIO:
			return keeps(e.Expr, label) // these keep their input's labels
		default:
			return slices.Contains(e.Grouping, label)
		}
	case *parser.ParenExpr:
		return keeps(e.Expr, label)
	case *parser.StepInvariantExpr:
		return keeps(e.Expr, label)
	case *parser.UnaryExpr:
		return keeps(e.Expr, label)
	case *parser.SubqueryExpr:
		return keeps(e.Expr, label)
	case *parser.MatrixSelector:
		return keeps(e.VectorSelector, label)
	case *parser.BinaryExpr:
		return binaryKeeps(e, label)
	case *parser.Call:
		return callKeeps(e, label)
	}
	return true
}

func binaryKeeps(e *parser.BinaryExpr, label string) bool {
	lv, rv := e.LHS.Type() == parser.ValueTypeVector, e.RHS.Type() == parser.ValueTypeVector
	switch {
	case lv && !rv:
		return keeps(e.LHS, label)
	case rv && !lv:
		return keeps(e.RHS, label)
	}
	m := e.VectorMatching
	if m != nil && m.Card == parser.CardOneToMany {
		return keeps(e.RHS, label) || slices.Contains(m.Include, label)
	}
	if m != nil && m.Card == parser.CardManyToOne && slices.Contains(m.Include, label) {
		return true
	}
	return keeps(e.LHS, label)
}

func callKeeps(e *parser.Call, label string) bool {
	switch e.Func.Name {
	case "label_replace", "label_join":
		if len(e.Args) > 1 {
			if dst, ok := e.Args[1].(*parser.StringLiteral); ok && dst.Val == label {
				return true
			}
		}
	case "vector", "scalar", "time":
		return false
	}
	// Other functions keep their vector argument's labels.
	for _, a := range e.Args {
		if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
			return keeps(a, label)
		}
	}
	return true
}
