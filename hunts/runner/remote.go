package runner

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/backends/sql"
	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts"
	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// remoteEngine runs a source's queries where its table lives (Athena,
// BigQuery): the table is read there, and only the rows of findings come
// back.
type remoteEngine interface {
	// Query runs q with its parameters and labels and calls fn for each
	// row (column name to value: string, int64, float64, bool, time.Time,
	// []any, or nil).
	Query(ctx context.Context, q string, params []Param, labels map[string]string, fn func(map[string]any) error) (QueryStats, error)
	// Estimate is the bytes q would read; -1 when the engine cannot tell
	// before running it.
	Estimate(ctx context.Context, q string, params []Param) (int64, error)
	Close() error
}

// QueryStats is what one query of a cloud engine read and cost.
type QueryStats struct {
	// ID is the engine's query or job id.
	ID string
	// Bytes were scanned (Athena) or processed (BigQuery); Estimate is a
	// dry run's estimate (-1: none).
	Bytes, Estimate int64
	// Cost is in USD at the spec's price per terabyte.
	Cost    float64
	Elapsed time.Duration
}

// remotePlan prints a cloud source's queries for its window.
func (r *runner) remotePlan(t target, src *hunts.Source, table string, sf *sourceFields, singles []*single, corrs []*corr, rep *SourceReport) error {
	readB, fromB, toB := t.bound("read_from", rep.Read), t.bound("window_from", rep.Start), t.bound("window_to", rep.End)
	pred := t.within(sf.timeX, sf.typed, readB, toB)
	part, err := partitionPredicate(t, src.Partitions, rep.Read, rep.End, readB, toB)
	if err != nil {
		return err
	}
	if part != "" {
		pred += " AND " + part
	}
	windowed := func(name string) string {
		if t.engine == "bigquery" && r.spec.BigQuery.Dataset != "" && !strings.Contains(name, ".") {
			name = r.spec.BigQuery.Dataset + "." + name
		}
		return "(SELECT * FROM " + t.d.Table(name) + " WHERE " + pred + ") AS _w"
	}
	add := func(rules []string, q string) error {
		if t.maxQuery > 0 && len(q) > t.maxQuery {
			return fmt.Errorf("the query of %s is %d bytes long, more than the %d bytes %s accepts: split the hunt's rules into several hunts", strings.Join(rules, ", "), len(q), t.maxQuery, t.engine)
		}
		rep.Queries = append(rep.Queries, Query{Rules: rules, SQL: q, Params: usedParams(q, readB, fromB, toB), Estimate: -1})
		return nil
	}
	if len(singles) > 0 {
		var ids []string
		for _, s := range singles {
			ids = append(ids, s.rep.ID)
		}
		if err := add(ids, remoteSingles(t, windowed(table), sf, singles, t.within(sf.timeX, sf.typed, fromB, toB))); err != nil {
			return err
		}
	}
	dw := t.d
	dw.Table = windowed
	for _, c := range corrs {
		q, err := sql.SelectCorrelation(dw, t.cd, c.c)
		if err != nil {
			c.rep.Err = err
			r.errorf(err)
			continue
		}
		if err := add([]string{c.rep.ID}, wrapCorrelation(t, c.c, q, fromB, toB)); err != nil {
			c.rep.Err = &ir.Error{Pos: c.c.Pos, RuleID: c.c.ID, Msg: err.Error()}
			r.errorf(c.rep.Err)
			continue
		}
		rep.Queries[len(rep.Queries)-1].corr = c
	}
	return nil
}

// remoteSingles is the one scan of a cloud table for all single-event
// rules: the rows any rule matches, then one row per (event, rule).
func remoteSingles(t target, from string, sf *sourceFields, singles []*single, window string) string {
	d := t.d
	cols := []string{d.CastString(sf.idX) + " AS _id", t.cd.TimestampFromMicros(t.cd.EpochMicros(sf.timeX, sf.typed)) + " AS _time"}
	out := []string{"_rule", "_id", "_time"}
	for i, e := range sf.entity {
		cols = append(cols, d.CastString(e[1])+" AS _e"+strconv.Itoa(i))
		out = append(out, "_e"+strconv.Itoa(i))
	}
	for i, s := range sf.sample {
		cols = append(cols, d.CastString(s[1])+" AS _s"+strconv.Itoa(i))
		out = append(out, "_s"+strconv.Itoa(i))
	}
	var conds, items []string
	for i, s := range singles {
		c := "_c" + strconv.Itoa(i)
		cols = append(cols, "COALESCE(("+s.cond+"), FALSE) AS "+c)
		conds = append(conds, "("+s.cond+")")
		items = append(items, "CASE WHEN "+c+" THEN "+strconv.Itoa(i)+" END")
	}
	return "WITH m AS (\n  SELECT * FROM " + from + "\n  WHERE " + window + " AND (" + strings.Join(conds, "\n    OR ") + ")\n),\n" +
		"c AS (\n  SELECT " + strings.Join(cols, ",\n    ") + "\n  FROM m\n)\n" +
		"SELECT " + strings.Join(out, ", ") + "\nFROM c CROSS JOIN " + t.unnest(items) + "\nWHERE _rule IS NOT NULL"
}

// wrapCorrelation keeps a correlation's findings that fired in the window.
func wrapCorrelation(t target, c *ir.Correlation, q string, from, to bound) string {
	var cols []string
	for _, n := range append(append([]string(nil), c.GroupBy...), c.TermNames...) {
		cols = append(cols, t.d.QuoteIdent(n))
	}
	cols = append(cols, "first_seen", "fired_at", "last_seen", "value", "event_count")
	if t.jsonArrays {
		cols = append(cols, "CAST(event_ids AS JSON) AS event_ids")
	} else {
		cols = append(cols, "event_ids")
	}
	return "SELECT " + strings.Join(cols, ", ") + "\nFROM (\n" + q + "\n) AS _f\nWHERE fired_at >= " + from.ts + " AND fired_at < " + to.ts
}

// partitionPredicate restricts a cloud table to the partitions that can
// hold events of [read, end). A day partition holds the files delivered
// that day, up to a day after their events: the day after end is read
// too.
func partitionPredicate(t target, p hunts.Partitions, read, end time.Time, readB, toB bound) (string, error) {
	q := t.d.QuoteIdent
	lit := t.d.QuoteString
	first := read.UTC().Truncate(24 * time.Hour)
	last := end.UTC().Add(-time.Microsecond).Truncate(24 * time.Hour).Add(24 * time.Hour)
	var preds []string
	switch {
	case p.Date != "":
		layout := strings.NewReplacer("yyyy", "2006", "MM", "01", "dd", "02").Replace(p.Format)
		preds = append(preds, q(p.Date)+" BETWEEN "+lit(first.Format(layout))+" AND "+lit(last.Format(layout)))
	case p.Year != "":
		days := int(last.Sub(first)/(24*time.Hour)) + 1
		if days > 400 {
			return "", fmt.Errorf("the window and its lookback span %d days: read fewer than 400 at a time, or partition by a date column", days)
		}
		var ors []string
		for d := first; !d.After(last); d = d.Add(24 * time.Hour) {
			ors = append(ors, "("+q(p.Year)+" = "+lit(d.Format("2006"))+" AND "+q(p.Month)+" = "+lit(d.Format("01"))+" AND "+q(p.Day)+" = "+lit(d.Format("02"))+")")
		}
		preds = append(preds, "("+strings.Join(ors, " OR ")+")")
	case p.Column != "":
		col := p.Column
		if !strings.HasPrefix(col, "_PARTITION") {
			col = q(col)
		}
		if p.Type == "date" {
			preds = append(preds, col+" BETWEEN DATE("+readB.ts+") AND DATE_ADD(DATE("+toB.ts+"), INTERVAL 1 DAY)")
		} else {
			preds = append(preds, col+" >= TIMESTAMP_TRUNC("+readB.ts+", DAY) AND "+col+" < TIMESTAMP_ADD("+toB.ts+", INTERVAL 1 DAY)")
		}
	}
	if p.Region != "" && len(p.Regions) > 0 {
		regions := append([]string(nil), p.Regions...)
		sort.Strings(regions)
		var vs []string
		for _, r := range regions {
			vs = append(vs, lit(r))
		}
		preds = append(preds, q(p.Region)+" IN ("+strings.Join(vs, ", ")+")")
	}
	return strings.Join(preds, " AND "), nil
}

// remoteHunt runs a cloud source's planned queries: the single-event scan
// first, then each correlation; a failing correlation is reported and the
// others still run.
func (r *runner) remoteHunt(ctx context.Context, eng remoteEngine, src *hunts.Source, sf *sourceFields, singles []*single, rep *SourceReport) ([]findings.Finding, error) {
	var out []findings.Finding
	total := len(rep.Queries)
	for i := range rep.Queries {
		qr := &rep.Queries[i]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		labels := map[string]string{"tokenhunt-hunt": r.spec.Name, "tokenhunt-source": src.Name}
		c := qr.corr
		if c != nil {
			labels["tokenhunt-rule"] = c.rep.ID
			r.progress(src.Name, "correlation: "+oneLine(c.c.Title), i, total)
		} else {
			labels["tokenhunt-rule"] = "single-event"
			r.progress(src.Name, fmt.Sprintf("scanning %d single-event rules", len(singles)), i, total)
		}
		var rows []findings.Finding
		emit := func(row map[string]any) error {
			if c != nil {
				rows = append(rows, correlationFinding(r.spec.Name, src.Name, c.c, row))
				return nil
			}
			n, ok := index(row["_rule"])
			if !ok || n < 0 || n >= len(singles) {
				return fmt.Errorf("unexpected rule index %v", row["_rule"])
			}
			rows = append(rows, singleFinding(r.spec.Name, src.Name, singles[n].res.Rule, sf, row))
			return nil
		}
		qctx, cancel := r.withTimeout(ctx)
		st, err := eng.Query(qctx, qr.SQL, qr.Params, labels, emit)
		cancel()
		qr.ID, qr.Bytes, qr.Cost, qr.Elapsed = st.ID, st.Bytes, st.Cost, st.Elapsed
		if st.Estimate >= 0 && st.Estimate != 0 {
			qr.Estimate = st.Estimate
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if te := r.timedOut(ctx, err); te != nil {
				err = te
			}
			if c == nil {
				// The scan of every single-event rule failed: each rule
				// is blamed, and the window is left to the next run.
				for _, s := range singles {
					s.rep.Err = &ir.Error{Pos: s.res.Rule.Pos, RuleID: s.res.Rule.ID, Msg: "query failed: " + redact.String(err.Error())}
				}
				r.errorf(fmt.Errorf("source %s: single-event scan failed: %s", src.Name, redact.String(err.Error())))
				continue
			}
			c.rep.Err = &ir.Error{Pos: c.c.Pos, RuleID: c.c.ID, Msg: "query failed: " + redact.String(err.Error())}
			r.errorf(c.rep.Err)
			continue
		}
		r.logf("source %s: query %s read %s (%.4f USD) in %s, %d findings", src.Name, qr.ID, HumanBytes(qr.Bytes), qr.Cost, qr.Elapsed.Round(time.Millisecond), len(rows))
		out = append(out, rows...)
	}
	r.progress(src.Name, "writing findings", total, total)
	return out, nil
}

// index reads a rule index column.
func index(v any) (int, bool) {
	switch v := v.(type) {
	case int64:
		return int(v), true
	case int32:
		return int(v), true
	case float64:
		return int(v), v == float64(int(v))
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

// HumanBytes prints a byte count with a decimal unit (kB, MB, GB, TB).
func HumanBytes(n int64) string {
	switch {
	case n < 0:
		return "an unknown number of bytes"
	case n < 1e3:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1e6:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	case n < 1e9:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	case n < 1e12:
		return strconv.FormatFloat(float64(n)/1e9, 'f', 2, 64) + " GB"
	}
	return strconv.FormatFloat(float64(n)/1e12, 'f', 2, 64) + " TB"
}

// remoteSource plans a cloud source's queries and, unless this is a dry
// run, runs them. A dry run on BigQuery asks for each query's estimate.
func (r *runner) remoteSource(ctx context.Context, t target, src *hunts.Source, table string, sf *sourceFields, singles []*single, corrs []*corr, rep *SourceReport) ([]findings.Finding, error) {
	if err := r.remotePlan(t, src, table, sf, singles, corrs, rep); err != nil {
		return nil, err
	}
	if len(rep.Queries) == 0 || (r.opts.DryRun && !t.params) {
		return nil, nil
	}
	open := r.opts.open
	if open == nil {
		open = openEngine
	}
	eng, err := open(ctx, r.spec, src)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	if r.opts.DryRun {
		for i := range rep.Queries {
			q := &rep.Queries[i]
			if q.Estimate, err = eng.Estimate(ctx, q.SQL, q.Params); err != nil {
				return nil, fmt.Errorf("dry run of the query of %s: %w", strings.Join(q.Rules, ", "), err)
			}
		}
		return nil, nil
	}
	r.logf("source %s on %s: window [%s, %s), reading from %s, %d single-event rules, %d correlations",
		src.Name, t.engine, rep.Start.Format(time.RFC3339), rep.End.Format(time.RFC3339), rep.Read.Format(time.RFC3339), len(singles), len(corrs))
	return r.remoteHunt(ctx, eng, src, sf, singles, rep)
}
