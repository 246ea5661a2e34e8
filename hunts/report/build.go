package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/hunts/findings"
	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// Options shape a report. Zero values take the defaults below.
type Options struct {
	// Title heads the report; default "tokenhunt report".
	Title string
	// Rules are the rule files by id (LoadRules); they add the cloud and
	// the response steps. Nil: the findings' own rule fields only.
	Rules map[string]*RuleInfo
	// Generated is the time printed as the report's date; zero: none.
	Generated time.Time
	// Inputs name the findings files, printed in the header.
	Inputs []string
	// MaxDetails bounds the findings given a section (most severe, then
	// latest, first); default 1500.
	MaxDetails int
	// MaxTimelines bounds the entities given a timeline; default 40.
	MaxTimelines int
	// MaxMarks bounds the marks of one timeline (the latest are kept);
	// default 300.
	MaxMarks int
	// MaxEventIDs bounds the event ids printed per finding; default 10.
	MaxEventIDs int
	// TopEntities bounds the busiest-entities table; default 20.
	TopEntities int
	// Queries are the rules compiled for every backend, by rule id
	// (CompileQueries); nil: no queries shown.
	Queries map[string][]Query
	// Events are the findings' events found in the logs, by event id
	// (LoadEvents): they place a finding without an address of its own
	// on the address rows of its events, mark credential issuance, and
	// are listed in the finding's section.
	Events map[string]Event
	// MaxEvents bounds the events listed per finding; default 20.
	MaxEvents int
}

func (o *Options) defaults() {
	if o.Title == "" {
		o.Title = "tokenhunt report"
	}
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.MaxDetails, 1500)
	def(&o.MaxTimelines, 40)
	def(&o.MaxMarks, 300)
	def(&o.MaxEventIDs, 10)
	def(&o.TopEntities, 20)
	def(&o.MaxEvents, 20)
}

// maxLanes bounds the address lanes of a timeline; the rest share one.
const maxLanes = 10

// Report is the model the HTML is rendered from. Every string in it is
// redacted.
type Report struct {
	Title     string
	Generated string
	Inputs    []string
	Total     int
	First     string
	Last      string
	Levels    []Bar
	Clouds    []Bar
	Rules     []RuleRow
	Histogram Histogram
	Entities  []EntityRow
	Timelines []Timeline
	// TimelinesOmitted counts entities past MaxTimelines.
	TimelinesOmitted int
	Findings         []FindingView
	// DetailsOmitted counts findings past MaxDetails.
	DetailsOmitted int
}

// Bar is one bar of a count chart.
type Bar struct {
	Label string
	Count int
	Class string
	Width float64
}

// RuleRow is one rule of the overview.
type RuleRow struct {
	ID, Title, Level, Cloud string
	Anchor                  string
	Count                   int
	Width                   float64
	Tags                    []string
	File, Description       string
	// Response are the rule's steps as written, placeholders unfilled.
	Response []Step
	// Queries are the rule compiled for each backend; QueriesAnchor is
	// the id of their block.
	Queries       []Query
	QueriesAnchor string
}

// Histogram is the findings over time, stacked by level.
type Histogram struct {
	Width, Height float64
	Rects         []Rect
	Ticks         []Tick
}

// Rect is one stacked bar piece.
type Rect struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// Tick is one time axis label.
type Tick struct {
	X      float64
	Label  string
	Anchor string
}

// EntityRow is one of the busiest entities.
type EntityRow struct {
	Kind, Value   string
	Count         int
	Addrs, Agents int
	First, Last   string
	Worst         string
	Anchor        string
	HasTimeline   bool
}

// Timeline is one entity's findings on a time axis, a lane per source
// address.
type Timeline struct {
	Kind, Value string
	Key         string
	Anchor      string
	Count       int
	Worst       string
	Width       float64
	Height      float64
	Lanes       []Lane
	Marks       []Mark
	Ticks       []Tick
	// Dropped counts findings not drawn (past MaxMarks).
	Dropped int
	// Addrs counts distinct source addresses; Replay is set for a key or
	// token seen from more than one.
	Addrs  int
	Replay bool
	Agents []AgentRow
}

// Lane is one address row of a timeline.
type Lane struct {
	Label string
	Y     float64
	Count int
}

// Mark is one finding on a timeline, or (Issue set) the issuance of
// the credentials a finding is about.
type Mark struct {
	X, Y  float64
	Class string
	Title string
	Href  string
	Issue bool
}

// AgentRow is one user agent of an entity.
type AgentRow struct {
	Agent       string
	Count       int
	First, Last string
}

// FindingView is one finding's section.
type FindingView struct {
	ID, Anchor     string
	Time           string
	Level          string
	Kind           string
	Hunt, Source   string
	Cloud          string
	FirstSeen      string
	LastSeen       string
	Count          int64
	Value          string
	Rule           RuleView
	Fields         []KV
	EventIDs       []string
	MoreEvents     int
	Entities       []EntityLink
	Steps          []StepView
	Address, Agent string
	EntitySummary  string
	// Events are the finding's events found in the logs (bounded).
	Events []EventView
}

// EventView is one event of a finding's section.
type EventView struct {
	ID, Time, Name, Addr, Agent string
	Issued                      bool
}

// RuleView is a finding's rule.
type RuleView struct {
	ID, Title, Level, Anchor string
	Tags                     []string
	// QueriesAnchor links the rule's queries; empty: none.
	QueriesAnchor string
}

// KV is one field.
type KV struct{ Key, Value string }

// EntityLink links a finding to an entity's timeline.
type EntityLink struct {
	Kind, Value, Anchor string
}

// StepView is one response step filled in.
type StepView struct {
	Description string
	Command     []Segment
}

const timeFmt = "2006-01-02 15:04:05Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFmt)
}

func anchor(prefix, s string) string {
	h := sha256.Sum256([]byte(s))
	return prefix + hex.EncodeToString(h[:6])
}

func findingAnchor(id string) string {
	if len(id) > 16 {
		id = id[:16]
	}
	return "f-" + redact.String(id)
}

// entityAgg gathers one entity's findings.
type entityAgg struct {
	ref    EntityRef
	idx    []int
	addrs  map[string]int
	agents map[string]*AgentRow
	worst  int
}

// Build makes the report model of the findings (already merged, see
// Merge).
func Build(fs []findings.Finding, opts Options) *Report {
	opts.defaults()
	r := &Report{Title: redact.String(opts.Title), Total: len(fs), Generated: fmtTime(opts.Generated)}
	for _, in := range opts.Inputs {
		r.Inputs = append(r.Inputs, redact.String(in))
	}
	if len(fs) == 0 {
		return r
	}
	lo, hi := when(fs[0]), when(fs[0])
	levelN := map[string]int{}
	cloudN := map[string]int{}
	rules := map[string]*RuleRow{}
	ents := map[string]*entityAgg{}
	var entOrder []string
	for i, f := range fs {
		t := when(f)
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
		lv := normLevel(f.Rule.Level)
		levelN[lv]++
		ri := opts.Rules[f.Rule.ID]
		cl := cloudOf(f, ri)
		cloudN[cl]++
		rr := rules[f.Rule.ID]
		if rr == nil {
			rr = &RuleRow{ID: redact.String(f.Rule.ID), Title: redact.String(f.Rule.Title), Level: lv, Cloud: cl, Anchor: anchor("r-", f.Rule.ID)}
			for _, t := range f.Rule.Tags {
				rr.Tags = append(rr.Tags, redact.String(t))
			}
			if ri != nil {
				rr.File, rr.Description = redact.String(ri.File), redact.String(ri.Description)
				for _, st := range ri.Response {
					rr.Response = append(rr.Response, Step{Description: redact.String(st.Description), Command: redact.String(st.Command)})
				}
			}
			if qs := opts.Queries[f.Rule.ID]; len(qs) > 0 {
				rr.Queries, rr.QueriesAnchor = qs, anchor("q-", f.Rule.ID)
			}
			rules[f.Rule.ID] = rr
		}
		rr.Count++
		addrs, agent := addrsOf(f, opts.Events), agentOf(f)
		for _, e := range entitiesOf(f) {
			a := ents[e.Key()]
			if a == nil {
				a = &entityAgg{ref: e, addrs: map[string]int{}, agents: map[string]*AgentRow{}, worst: len(Levels)}
				ents[e.Key()] = a
				entOrder = append(entOrder, e.Key())
			}
			a.idx = append(a.idx, i)
			for _, ad := range addrs {
				a.addrs[ad]++
			}
			if agent != "" {
				ag := a.agents[agent]
				if ag == nil {
					ag = &AgentRow{Agent: agent, First: fmtTime(t)}
					a.agents[agent] = ag
				}
				ag.Count++
				ag.Last = fmtTime(t)
			}
			a.worst = min(a.worst, levelRank(lv))
		}
	}
	r.First, r.Last = fmtTime(lo), fmtTime(hi)

	// Overview bars.
	maxN := 0
	for _, n := range levelN {
		maxN = max(maxN, n)
	}
	for _, l := range append(append([]string{}, Levels...), "unknown") {
		if n := levelN[l]; n > 0 {
			r.Levels = append(r.Levels, Bar{Label: l, Count: n, Class: "lv-" + l, Width: barWidth(n, maxN)})
		}
	}
	var clouds []string
	maxC := 0
	for c, n := range cloudN {
		clouds = append(clouds, c)
		maxC = max(maxC, n)
	}
	sort.Slice(clouds, func(i, j int) bool {
		if cloudN[clouds[i]] != cloudN[clouds[j]] {
			return cloudN[clouds[i]] > cloudN[clouds[j]]
		}
		return clouds[i] < clouds[j]
	})
	for _, c := range clouds {
		r.Clouds = append(r.Clouds, Bar{Label: c, Count: cloudN[c], Class: "cl-" + c, Width: barWidth(cloudN[c], maxC)})
	}
	for _, rr := range rules {
		r.Rules = append(r.Rules, *rr)
	}
	sort.Slice(r.Rules, func(i, j int) bool {
		a, b := r.Rules[i], r.Rules[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.ID < b.ID
	})
	if len(r.Rules) > 0 {
		for i := range r.Rules {
			r.Rules[i].Width = barWidth(r.Rules[i].Count, r.Rules[0].Count)
		}
	}
	r.Histogram = histogram(fs, lo, hi)

	// Entities: busiest first; timelines most severe, then busiest.
	aggs := make([]*entityAgg, 0, len(entOrder))
	for _, k := range entOrder {
		aggs = append(aggs, ents[k])
	}
	sort.SliceStable(aggs, func(i, j int) bool {
		if len(aggs[i].idx) != len(aggs[j].idx) {
			return len(aggs[i].idx) > len(aggs[j].idx)
		}
		return aggs[i].ref.Key() < aggs[j].ref.Key()
	})
	byTimeline := append([]*entityAgg(nil), aggs...)
	sort.SliceStable(byTimeline, func(i, j int) bool {
		a, b := byTimeline[i], byTimeline[j]
		ra, rb := isReplay(a), isReplay(b)
		if ra != rb {
			return ra
		}
		return a.worst < b.worst
	})
	hasTL := map[string]bool{}
	for i, a := range byTimeline {
		if i >= opts.MaxTimelines {
			r.TimelinesOmitted = len(byTimeline) - opts.MaxTimelines
			break
		}
		hasTL[a.ref.Key()] = true
	}

	// Finding sections: the most severe, then the latest, up to MaxDetails.
	detailed := make([]bool, len(fs))
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := fs[order[i]], fs[order[j]]
		if ra, rb := levelRank(normLevel(a.Rule.Level)), levelRank(normLevel(b.Rule.Level)); ra != rb {
			return ra < rb
		}
		return when(a).After(when(b))
	})
	for n, i := range order {
		if n >= opts.MaxDetails {
			r.DetailsOmitted = len(fs) - opts.MaxDetails
			break
		}
		detailed[i] = true
	}

	for i, a := range aggs {
		if i < opts.TopEntities {
			first, last := when(fs[a.idx[0]]), when(fs[a.idx[len(a.idx)-1]])
			r.Entities = append(r.Entities, EntityRow{
				Kind: a.ref.Kind, Value: a.ref.Value, Count: len(a.idx), Addrs: len(a.addrs), Agents: len(a.agents),
				First: fmtTime(first), Last: fmtTime(last), Worst: levelName(a.worst),
				Anchor: anchor("t-", a.ref.Key()), HasTimeline: hasTL[a.ref.Key()],
			})
		}
	}
	for _, a := range byTimeline {
		if hasTL[a.ref.Key()] {
			r.Timelines = append(r.Timelines, timeline(fs, a, detailed, opts))
		}
	}
	for i, f := range fs {
		if detailed[i] {
			r.Findings = append(r.Findings, findingView(f, opts, hasTL))
		}
	}
	return r
}

func isReplay(a *entityAgg) bool {
	return (a.ref.Kind == KindAccessKey || a.ref.Kind == KindToken) && len(a.addrs) > 1
}

func levelName(rank int) string {
	if rank < len(Levels) {
		return Levels[rank]
	}
	return "unknown"
}

func barWidth(n, maxN int) float64 {
	if maxN == 0 {
		return 0
	}
	return round1(300 * float64(n) / float64(maxN))
}

func round1(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 1, 64), 64)
	return v
}

// axis maps times in [lo, hi] to x in [x0, x0+w].
type axis struct {
	lo, hi time.Time
	x0, w  float64
}

func (a axis) x(t time.Time) float64 {
	span := a.hi.Sub(a.lo)
	if span <= 0 {
		return round1(a.x0 + a.w/2)
	}
	return round1(a.x0 + a.w*float64(t.Sub(a.lo))/float64(span))
}

func (a axis) ticks(n int) []Tick {
	span := a.hi.Sub(a.lo)
	if span <= 0 {
		return []Tick{{X: a.x(a.lo), Label: fmtTime(a.lo), Anchor: "middle"}}
	}
	layout := "01-02 15:04"
	if span < 2*time.Hour {
		layout = "15:04:05"
	}
	var out []Tick
	for i := 0; i <= n; i++ {
		t := a.lo.Add(span * time.Duration(i) / time.Duration(n))
		anc := "middle"
		switch i {
		case 0:
			anc = "start"
		case n:
			anc = "end"
		}
		out = append(out, Tick{X: a.x(t), Label: t.UTC().Format(layout), Anchor: anc})
	}
	return out
}

const histBins = 48

func histogram(fs []findings.Finding, lo, hi time.Time) Histogram {
	h := Histogram{Width: 900, Height: 140}
	ax := axis{lo: lo, hi: hi, x0: 40, w: 840}
	bins := make([]map[string]int, histBins)
	for i := range bins {
		bins[i] = map[string]int{}
	}
	span := hi.Sub(lo)
	for _, f := range fs {
		b := 0
		if span > 0 {
			b = int(float64(histBins) * float64(when(f).Sub(lo)) / float64(span))
		}
		b = min(max(b, 0), histBins-1)
		bins[b][normLevel(f.Rule.Level)]++
	}
	maxN := 0
	for _, b := range bins {
		n := 0
		for _, c := range b {
			n += c
		}
		maxN = max(maxN, n)
	}
	bw := ax.w / histBins
	plotH := 110.0
	for i, b := range bins {
		y := 10 + plotH
		from := lo.Add(span * time.Duration(i) / histBins)
		for _, l := range append(append([]string{}, Levels...), "unknown") {
			n := b[l]
			if n == 0 {
				continue
			}
			hgt := plotH * float64(n) / float64(maxN)
			y -= hgt
			h.Rects = append(h.Rects, Rect{
				X: round1(ax.x0 + float64(i)*bw), Y: round1(y), W: round1(bw - 1), H: round1(hgt), Class: "lv-" + l,
				Title: fmt.Sprintf("%s from %s: %d %s", l, fmtTime(from), n, plural(n, "finding")),
			})
		}
	}
	for _, t := range ax.ticks(4) {
		h.Ticks = append(h.Ticks, t)
	}
	return h
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// addrsOf returns a finding's source addresses: its own, else the
// distinct addresses of its events found in the logs.
func addrsOf(f findings.Finding, evs map[string]Event) []string {
	if ad := addrOf(f); ad != "" {
		return []string{ad}
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range eventsOf(f, evs) {
		if e.Addr != "" && !seen[e.Addr] {
			seen[e.Addr] = true
			out = append(out, e.Addr)
		}
	}
	return out
}

// point is one mark to draw before the axis is known.
type point struct {
	t     time.Time
	addr  string
	i     int // the finding
	issue *Event
}

// points are the marks of a finding: one at its firing time on its
// address row; for a finding without an address of its own, one per
// address of its events (at the first event from there); and a mark for
// each credential issuance among its events.
func points(f findings.Finding, i int, evs map[string]Event) []point {
	var out []point
	evl := eventsOf(f, evs)
	for _, e := range evl {
		if e.Issued {
			out = append(out, point{t: e.Time, addr: e.Addr, i: i, issue: &e})
		}
	}
	if ad := addrOf(f); ad != "" {
		return append(out, point{t: when(f), addr: ad, i: i})
	}
	seen := map[string]bool{}
	for _, e := range evl {
		if e.Addr != "" && !e.Issued && !seen[e.Addr] {
			seen[e.Addr] = true
			out = append(out, point{t: e.Time, addr: e.Addr, i: i})
		}
	}
	if len(seen) == 0 {
		out = append(out, point{t: when(f), i: i})
	}
	return out
}

func timeline(fs []findings.Finding, a *entityAgg, detailed []bool, opts Options) Timeline {
	tl := Timeline{
		Kind: a.ref.Kind, Value: a.ref.Value, Key: a.ref.Key(), Anchor: anchor("t-", a.ref.Key()),
		Count: len(a.idx), Worst: levelName(a.worst), Addrs: len(a.addrs), Replay: isReplay(a),
	}
	idx := a.idx
	if len(idx) > opts.MaxMarks {
		tl.Dropped = len(idx) - opts.MaxMarks
		idx = idx[len(idx)-opts.MaxMarks:]
	}
	// Lanes: the busiest addresses, then "other addresses", then "no
	// address".
	addrs := make([]string, 0, len(a.addrs))
	for ad := range a.addrs {
		addrs = append(addrs, ad)
	}
	sort.Slice(addrs, func(i, j int) bool {
		if a.addrs[addrs[i]] != a.addrs[addrs[j]] {
			return a.addrs[addrs[i]] > a.addrs[addrs[j]]
		}
		return addrs[i] < addrs[j]
	})
	lane := map[string]int{}
	var labels []string
	for i, ad := range addrs {
		if i < maxLanes {
			lane[ad] = len(labels)
			labels = append(labels, ad)
		}
	}
	other, none := -1, -1
	laneOf := func(ad string) int {
		if ad == "" {
			if none < 0 {
				none = len(labels)
				labels = append(labels, "(no address)")
			}
			return none
		}
		if l, ok := lane[ad]; ok {
			return l
		}
		if other < 0 {
			other = len(labels)
			labels = append(labels, "(other addresses)")
		}
		return other
	}
	var pts []point
	for _, i := range idx {
		pts = append(pts, points(fs[i], i, opts.Events)...)
	}
	lanes := make([]int, len(pts))
	lo, hi := pts[0].t, pts[0].t
	for n, p := range pts {
		lanes[n] = laneOf(p.addr)
		if p.t.Before(lo) {
			lo = p.t
		}
		if p.t.After(hi) {
			hi = p.t
		}
	}
	const laneH, top = 22.0, 8.0
	tl.Width = 900
	tl.Height = top + laneH*float64(len(labels)) + 24
	counts := make([]int, len(labels))
	ax := axis{lo: lo, hi: hi, x0: 190, w: 690}
	for n, p := range pts {
		f := fs[p.i]
		m := Mark{
			X: ax.x(p.t), Y: top + laneH*float64(lanes[n]) + laneH/2, Class: "mark lv-" + normLevel(f.Rule.Level),
			Title: markTitle(f, p),
		}
		if p.issue != nil {
			m.Class, m.Issue = "issue", true
		} else {
			counts[lanes[n]]++
		}
		if detailed[p.i] {
			m.Href = "#" + findingAnchor(f.ID)
		}
		tl.Marks = append(tl.Marks, m)
	}
	for i, l := range labels {
		tl.Lanes = append(tl.Lanes, Lane{Label: clip(l, 28), Y: top + laneH*float64(i) + laneH/2, Count: counts[i]})
	}
	for _, t := range ax.ticks(4) {
		t.X = round1(t.X)
		tl.Ticks = append(tl.Ticks, t)
	}
	ags := make([]AgentRow, 0, len(a.agents))
	for _, ag := range a.agents {
		ags = append(ags, *ag)
	}
	sort.Slice(ags, func(i, j int) bool {
		if ags[i].Count != ags[j].Count {
			return ags[i].Count > ags[j].Count
		}
		return ags[i].Agent < ags[j].Agent
	})
	if len(ags) > 8 {
		ags = ags[:8]
	}
	tl.Agents = ags
	return tl
}

func markTitle(f findings.Finding, p point) string {
	var b strings.Builder
	b.WriteString(fmtTime(p.t))
	b.WriteString(" · ")
	if p.issue != nil {
		b.WriteString("credentials issued (")
		b.WriteString(p.issue.Name)
		b.WriteString(") · for ")
	} else {
		b.WriteString(normLevel(f.Rule.Level))
		b.WriteString(" · ")
	}
	b.WriteString(f.Rule.Title)
	if ad := p.addr; ad != "" {
		b.WriteString(" · from ")
		b.WriteString(ad)
	}
	if ag := agentOf(f); ag != "" {
		b.WriteString(" · ")
		b.WriteString(clip(ag, 60))
	}
	return redact.String(b.String())
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func findingView(f findings.Finding, opts Options, hasTL map[string]bool) FindingView {
	ri := opts.Rules[f.Rule.ID]
	v := FindingView{
		ID: redact.String(f.ID), Anchor: findingAnchor(f.ID), Time: fmtTime(when(f)), Level: normLevel(f.Rule.Level),
		Kind: redact.String(f.Kind), Hunt: redact.String(f.Hunt), Source: redact.String(f.Source), Cloud: cloudOf(f, ri),
		FirstSeen: fmtTime(f.FirstSeen), LastSeen: fmtTime(f.LastSeen), Count: f.Count,
		Address: addrOf(f), Agent: agentOf(f),
		Rule: RuleView{ID: redact.String(f.Rule.ID), Title: redact.String(f.Rule.Title), Level: normLevel(f.Rule.Level), Anchor: anchor("r-", f.Rule.ID)},
	}
	if len(opts.Queries[f.Rule.ID]) > 0 {
		v.Rule.QueriesAnchor = anchor("q-", f.Rule.ID)
	}
	for n, e := range eventsOf(f, opts.Events) {
		if n >= opts.MaxEvents {
			break
		}
		v.Events = append(v.Events, EventView{ID: e.ID, Time: fmtTime(e.Time), Name: e.Name, Addr: e.Addr, Agent: clip(e.Agent, 80), Issued: e.Issued})
	}
	if f.Value != nil {
		v.Value = strconv.FormatFloat(*f.Value, 'g', -1, 64)
	}
	for _, t := range f.Rule.Tags {
		v.Rule.Tags = append(v.Rule.Tags, redact.String(t))
	}
	if ri != nil {
		for _, s := range ri.Response {
			v.Steps = append(v.Steps, StepView{Description: redact.String(s.Description), Command: Fill(s.Command, f)})
		}
	}
	for _, k := range sortedKeys(f.Group) {
		v.Fields = append(v.Fields, KV{"group." + redact.String(k), redact.String(f.Group[k])})
	}
	for _, k := range sortedKeys(f.Entity) {
		v.Fields = append(v.Fields, KV{"entity." + redact.String(k), redact.String(f.Entity[k])})
	}
	for _, k := range sortedKeys(f.Sample) {
		val := fmt.Sprint(redact.Any(f.Sample[k]))
		v.Fields = append(v.Fields, KV{"sample." + redact.String(k), redact.String(val)})
	}
	ids := f.EventIDs
	if len(ids) > opts.MaxEventIDs {
		v.MoreEvents = len(ids) - opts.MaxEventIDs
		ids = ids[:opts.MaxEventIDs]
	}
	for _, id := range ids {
		v.EventIDs = append(v.EventIDs, redact.String(id))
	}
	if f.Count > int64(len(f.EventIDs)) && v.MoreEvents == 0 && len(f.EventIDs) > 0 {
		v.MoreEvents = int(f.Count) - len(f.EventIDs)
	}
	var names []string
	for _, e := range entitiesOf(f) {
		l := EntityLink{Kind: e.Kind, Value: e.Value}
		if hasTL[e.Key()] {
			l.Anchor = "#" + anchor("t-", e.Key())
		}
		v.Entities = append(v.Entities, l)
		names = append(names, clip(e.Value, 48))
	}
	v.EntitySummary = strings.Join(names, ", ")
	return v
}
