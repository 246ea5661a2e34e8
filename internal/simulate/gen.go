package simulate

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// rec is one output record of any kind, with its time.
type rec struct {
	t   time.Time
	seq int32 // generation order, to break ties deterministically
	ct  *ctEvent
	si  *signIn
	ge  *gcpEntry
	px  *proxyLine
	ci  *ciOutput
}

type gen struct {
	opts        Options
	enabled     [nClouds]bool
	org         *org
	cat         *awsCatalog
	gcat        *gcpCatalog
	pl          *planner
	workspaceID string
	start, end  time.Time
	w0          int64 // absolute number of the first window
	nWin        int
	fill        [nClouds][]int32 // filler records per window
	steps       [nClouds]int     // scripted records in range
	target      [nClouds]int     // background records asked for
	scen        []rec            // scenario records, sorted by time
	labels      []Label
	cache       planCache
}

// planCache holds the day plans in use, each built once.
type planCache struct {
	mu    sync.Mutex
	plans map[int64]*planEntry
}

type planEntry struct {
	once sync.Once
	p    *dayPlan
}

func (g *gen) plan(d int64) *dayPlan {
	g.cache.mu.Lock()
	if g.cache.plans == nil {
		g.cache.plans = map[int64]*planEntry{}
	}
	e := g.cache.plans[d]
	if e == nil {
		e = &planEntry{}
		g.cache.plans[d] = e
	}
	g.cache.mu.Unlock()
	e.once.Do(func() { e.p = g.pl.plan(d, true) })
	return e.p
}

// evictBefore drops plans of days before d.
func (g *gen) evictBefore(d int64) {
	g.cache.mu.Lock()
	for k := range g.cache.plans {
		if k < d {
			delete(g.cache.plans, k)
		}
	}
	g.cache.mu.Unlock()
}

func (g *gen) window(i int) (ws, we, lo, hi time.Time) {
	ws = time.Unix((g.w0+int64(i))*windowSec, 0).UTC()
	we = ws.Add(windowSec * time.Second)
	lo, hi = ws, we
	if g.start.After(lo) {
		lo = g.start
	}
	if g.end.Before(hi) {
		hi = g.end
	}
	return
}

func inRange(t, lo, hi time.Time) bool { return !t.Before(lo) && t.Before(hi) }

// prepass plans every day once to count the scripted records in range and
// weigh each window's filler, then apportions each cloud's budget.
func (g *gen) prepass(targets [nClouds]int) error {
	var weights [nClouds][]float64
	for c := range weights {
		weights[c] = make([]float64, g.nWin)
	}
	d0, d1 := unixDay(g.start)-1, unixDay(g.end.Add(-time.Nanosecond))+1
	for d := d0; d <= d1; d++ {
		dp := g.pl.plan(d, false)
		for _, s := range dp.sessions {
			for _, st := range s.steps {
				if g.enabled[st.cloud] && inRange(st.t, g.start, g.end) {
					g.steps[st.cloud]++
				}
			}
			if s.weight == 0 || !g.enabled[s.cloud] {
				continue
			}
			a := floorDiv(s.start.Unix(), windowSec) - g.w0
			b := floorDiv(s.end.Unix(), windowSec) - g.w0
			if a < 0 {
				a = 0
			}
			if b >= int64(g.nWin) {
				b = int64(g.nWin) - 1
			}
			for i := a; i <= b; i++ {
				_, _, lo, hi := g.window(int(i))
				weights[s.cloud][i] += s.fillerWeight(lo, hi)
			}
		}
	}
	for c := cloud(0); c < nClouds; c++ {
		g.fill[c] = make([]int32, g.nWin)
		if !g.enabled[c] || c == cCI {
			continue
		}
		target := targets[c]
		if target < 0 { // derived: the ratio, or room for the scheduled records
			target = max(-target-1, g.steps[c]*13/10+10)
		}
		g.target[c] = target
		budget := target - g.steps[c]
		if budget < 0 {
			return errorf("the organisation's scheduled %s events (%d sign-ins, credential issuances and CI calls) exceed the %d asked for: ask for more events or a smaller organisation", cloudNames[c], g.steps[c], targets[c])
		}
		total := 0.0
		for i := range weights[c] {
			weights[c][i] *= 0.85 + 0.3*float64(hashParts(g.opts.Seed, tagNoise, uint64(c), uint64(g.w0+int64(i)))%1000)/1000
			total += weights[c][i]
		}
		if total == 0 {
			if budget > 0 {
				return errorf("no %s activity to fill %d events with: the organisation has no %s actors", cloudNames[c], budget, cloudNames[c])
			}
			continue
		}
		cum, prev := 0.0, 0
		for i, w := range weights[c] {
			cum += w
			n := int(math.Round(float64(budget) * cum / total))
			if i == len(weights[c])-1 {
				n = budget
			}
			g.fill[c][i] = int32(n - prev)
			prev = n
		}
	}
	return nil
}

// generate produces the records of window i, sorted by time.
func (g *gen) generate(i int) []rec {
	ws, _, lo, hi := g.window(i)
	wn := g.w0 + int64(i)
	d := unixDay(ws)
	var sessions []*session
	for dd := d - 1; dd <= d+1; dd++ {
		sessions = append(sessions, g.plan(dd).index[wn]...)
	}
	r := derive(g.opts.Seed, tagWindow, uint64(wn))
	total := 0
	for c := range g.fill {
		total += int(g.fill[c][i])
	}
	recs := make([]rec, 0, total+64)
	for _, s := range sessions {
		for k := range s.steps {
			st := &s.steps[k]
			if g.enabled[st.cloud] && inRange(st.t, lo, hi) {
				recs = append(recs, g.renderStep(r, s, st))
			}
		}
	}
	for c := cloud(0); c < nClouds; c++ {
		n := int(g.fill[c][i])
		if n == 0 {
			continue
		}
		var act []*session
		var cum []float64
		sum := 0.0
		for _, s := range sessions {
			if s.cloud != c {
				continue
			}
			if w := s.fillerWeight(lo, hi); w > 0 {
				sum += w
				act = append(act, s)
				cum = append(cum, sum)
			}
		}
		if len(act) == 0 {
			// The pre-pass weighed these very sessions; reaching this is a
			// bug, and the count check in Run reports it.
			continue
		}
		for n > 0 {
			x := r.Float64() * sum
			k := sort.SearchFloat64s(cum, x)
			if k >= len(act) {
				k = len(act) - 1
			}
			s := act[k]
			a, b := lo, hi
			if s.start.After(a) {
				a = s.start
			}
			if s.end.Before(b) {
				b = s.end
			}
			t := a.Add(time.Duration(r.Int64N(int64(b.Sub(a)) + 1)))
			if !t.Before(hi) {
				t = hi.Add(-time.Millisecond)
			}
			out := g.filler(r, s, t, n)
			recs = append(recs, out...)
			n -= len(out)
		}
	}
	for _, sr := range g.scenarioRecs(lo, hi) {
		recs = append(recs, sr)
	}
	for k := range recs {
		recs[k].seq = int32(k)
	}
	slices.SortFunc(recs, func(a, b rec) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return recs
}

func (g *gen) scenarioRecs(lo, hi time.Time) []rec {
	a := sort.Search(len(g.scen), func(i int) bool { return !g.scen[i].t.Before(lo) })
	b := sort.Search(len(g.scen), func(i int) bool { return !g.scen[i].t.Before(hi) })
	return g.scen[a:b]
}

// renderStep renders one scripted step as exactly one record.
func (g *gen) renderStep(r *rand.Rand, s *session, st *step) rec {
	switch st.kind {
	case stAssumeSAML:
		e := evAssumeSAML(r, g.org, s.h, s.cred, s.ip, st.ua)
		return rec{t: e.t, ct: e}
	case stConsoleLogin:
		e := evConsoleLogin(r, s.h, s.cred, st.t, s.ip, st.ua)
		return rec{t: e.t, ct: e}
	case stGetSessionToken:
		e := evGetSessionToken(r, s.h.iam, s.cred, s.ip, st.ua)
		return rec{t: e.t, ct: e}
	case stAssumeEC2:
		e := evAssumeEC2(r, s.cred, s.region)
		return rec{t: e.t, ct: e}
	case stAssumeVendor:
		e := evAssumeRole(r, st.t, vendorCaller(), s.cred, s.region, s.ip, st.ua, "ExampleMonitoring-"+s.acct.id, 3600)
		e.sharedID = uuid(r)
		return rec{t: e.t, ct: e}
	case stAssumeConfig:
		e := evAssumeRole(r, st.t, identService("config.amazonaws.com"), s.cred, s.region, "config.amazonaws.com", "config.amazonaws.com", "", 0)
		return rec{t: e.t, ct: e}
	case stAssumeOIDC:
		e := evAssumeOIDC(r, s.rp, s.cred, s.ip, st.ua, s.job.branch)
		return rec{t: e.t, ct: e}
	case stAWSCall:
		c := &callCtx{r: r, acct: s.acct, region: s.region, cred: s.cred}
		e := c.call(st.op, st.t, s.ip, st.ua, 0)
		if st.req != nil {
			e.req = st.req
		}
		if st.resp != nil {
			e.resp = st.resp
		}
		return rec{t: e.t, ct: e}
	case stCILog:
		return rec{t: st.t, ci: renderCI(s.job)}
	case stEntraSignIn:
		es := s
		if st.ref != nil {
			es = st.ref
		}
		si := newSignIn(r, st.t, s.h, st.app, es.ip, es.net)
		si.interactive = true
		si.sessionID = es.sessionID
		si.incoming = "none"
		si.code = st.code
		si.mfa = st.code == 0
		si.ua = s.h.browserUA
		if st.app.client != "Browser" {
			si.ua = laptopClientUA(s.h)
		}
		return rec{t: si.t, si: si}
	case stGCPToken:
		c := &gcpCtx{target: s.proj.ci}
		e := newGCPEntry(r, st.t, s.proj, g.gcat.m("GenerateAccessToken"), "", s.ip, "google-github-actions/auth/2.1.7 gl-node/20.18.0", c)
		e.psubject = wifSubject(s.proj, s.rp)
		return rec{t: st.t, ge: e}
	case stGCPCall:
		e := newGCPEntry(r, st.t, s.proj, st.gm, s.proj.ci.email, s.ip, gcpTerraformUA(), &gcpCtx{})
		e.subject = wifSubject(s.proj, s.rp)
		return rec{t: st.t, ge: e}
	}
	panic("simulate: unknown step kind") // a bug: every kind is handled above
}

// filler makes one background activity of session s at t: one record, or
// a call and the calls services make on its behalf, never more than max.
func (g *gen) filler(r *rand.Rand, s *session, t time.Time, max int) []rec {
	switch s.kind {
	case skEntraLaptop, skEntraPhone:
		si := g.refreshSignIn(r, s, t)
		return []rec{{t: si.t, si: si}}
	case skGCPHuman, skGCPVM:
		return []rec{{t: t, ge: g.gcpFiller(r, s, t)}}
	case skProxyEgress:
		p := egressLine(r, t, s.inst)
		return []rec{{t: p.t, px: p}}
	case skProxyEdge:
		p := edgeLine(r, t, g.org.webHost, s.inst)
		return []rec{{t: p.t, px: p}}
	}
	// AWS.
	c := &callCtx{r: r, acct: s.acct, region: s.region, cred: s.cred, inst: s.inst, h: s.h}
	if len(s.acct.regions) > 1 && (s.kind == skSSO || s.kind == skIAMUser || s.kind == skVendor) && r.IntN(8) == 0 {
		c.region = s.acct.regions[1]
	}
	op := s.prof.pick(r)
	ip, ua := s.ip, s.ua
	if s.console {
		switch x := r.IntN(100); {
		case x < 3 && op.readOnly && !op.data:
			ip, ua = "AWS Internal", "AWS Internal"
		case x < 35:
			ua = "AWS Internal"
		case x < 70:
			ua = "console.amazonaws.com"
		default:
			ua = "console." + strings.TrimSuffix(op.source, ".amazonaws.com") + ".amazonaws.com"
		}
	}
	e := c.call(op, t, ip, apiUA(ua, op), s.errRate)
	e.console = s.console
	if s.vpce != "" && isIP(ip) {
		e.vpce, e.vpceAcct = s.vpce, s.acct.id
	}
	out := []rec{{t: e.t, ct: e}}
	if f := c.followUps(g.cat, op, e); len(f) > 0 && len(f)+1 <= max {
		for _, x := range f {
			x.console = s.console
			out = append(out, rec{t: x.t, ct: x})
		}
	}
	return out
}

var laptopApps = []string{"Microsoft Teams", "Microsoft Office", "OneDrive SyncEngine", "Microsoft Edge", "Microsoft Teams", "Microsoft Office"}
var phoneApps = []string{"Outlook Mobile", "Microsoft Teams"}

func (g *gen) refreshSignIn(r *rand.Rand, s *session, t time.Time) *signIn {
	var app *entraApp
	if s.phone {
		app = g.org.appNamed(pick(r, phoneApps))
	} else {
		name := pick(r, laptopApps)
		if s.h.kind == kindAdmin && r.IntN(6) == 0 {
			name = "Azure Portal"
		} else if s.h.kind == kindDeveloper && r.IntN(12) == 0 {
			name = "Microsoft Azure CLI"
		}
		app = g.org.appNamed(name)
	}
	si := newSignIn(r, t, s.h, app, s.ip, s.net)
	si.sessionID = s.sessionID
	si.incoming = s.incoming
	si.phone = s.phone
	si.mfa = r.IntN(10) < 7
	switch {
	case s.phone:
		si.ua = phoneUA(s.h)
	case app.client == "Browser":
		si.ua = s.h.browserUA
	default:
		si.ua = laptopClientUA(s.h)
	}
	if r.IntN(100) == 0 {
		si.code = 70044
	}
	return si
}

func (g *gen) gcpFiller(r *rand.Rand, s *session, t time.Time) *gcpEntry {
	if s.kind == skGCPVM {
		e := newGCPEntry(r, t, s.proj, g.gcat.profiles["vm"].pick(r), s.principal, s.ip, vmUA(s.vm), &gcpCtx{vm: s.vm})
		return e
	}
	e := newGCPEntry(r, t, s.proj, g.gcat.profiles["human"].pick(r), s.principal, s.ip, s.ua, &gcpCtx{})
	e.denied = r.IntN(60) == 0
	return e
}
