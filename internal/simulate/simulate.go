package simulate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Summary reports what a run wrote.
type Summary struct {
	Start time.Time
	End   time.Time
	Org   OrgSize
	// Records counts the records written per log (background and
	// scenario): cloudtrail, signinlogs, aadnoninteractiveusersigninlogs,
	// gcp_activity, gcp_data_access, proxy, buildlog.
	Records map[string]int
	// ScenarioRecords counts the records that scenarios injected, per log.
	ScenarioRecords map[string]int
	CIJobs          int
	Labels          int
	Skipped         []string // scenarios left out because a cloud they need is not simulated
	Files           int
	Bytes           int64
}

// outputs that a previous run may have left, removed by Force (parquet is
// what tokenhunt simulate --parquet adds).
var outputNames = []string{"AWSLogs", "entra", "gcp", "proxy", "ci", "labels.jsonl", "manifest.json", "parquet"}

// Run simulates the organisation described by opts and writes the logs,
// labels.jsonl and manifest.json under opts.Out. Memory stays bounded: a
// few five-minute windows are in flight at a time.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	g := newGen(opts)
	if err := g.prepass(g.targets()); err != nil {
		return nil, err
	}
	skipped, err := g.injectScenarios()
	if err != nil {
		return nil, err
	}
	if err := prepareOut(opts.Out, opts.Force); err != nil {
		return nil, err
	}
	w := &writer{root: opts.Out, gzip: opts.Gzip, open: map[string]*openFile{}, sum: &Summary{Start: g.start, End: g.end, Org: g.size(), Records: map[string]int{}, ScenarioRecords: map[string]int{}, Skipped: skipped}}
	if err := w.labels(g.labels); err != nil {
		return nil, err
	}
	if err := g.run(ctx, w); err != nil {
		w.closeAll()
		return nil, err
	}
	if err := w.closeAll(); err != nil {
		return nil, err
	}
	for _, sr := range g.scen {
		if sr.ci != nil {
			w.sum.ScenarioRecords["buildlog"] += bytes.Count(sr.ci.jsonl, []byte{'\n'})
			continue
		}
		w.sum.ScenarioRecords[logOf(sr)]++
	}
	// Every background count is exact by construction; check it.
	logs := [nClouds][]string{cAWS: {"cloudtrail"}, cEntra: {"signinlogs", "aadnoninteractiveusersigninlogs"}, cGCP: {"gcp_activity", "gcp_data_access"}, cProxy: {"proxy"}}
	for c, names := range logs {
		if !g.enabled[c] || names == nil {
			continue
		}
		n := 0
		for _, name := range names {
			n += w.sum.Records[name] - w.sum.ScenarioRecords[name]
		}
		if n != g.target[c] {
			return nil, errorf("simulate: wrote %d background %s records, %d were planned (a bug)", n, cloudNames[c], g.target[c])
		}
	}
	if err := w.manifest(g, opts); err != nil {
		return nil, err
	}
	return w.sum, nil
}

func newGen(opts Options) *gen {
	g := &gen{opts: opts, start: opts.Start, end: opts.Start.Add(opts.Duration)}
	for _, c := range opts.Clouds {
		for k, n := range cloudNames {
			if n == c {
				g.enabled[k] = true
			}
		}
	}
	size := deriveSize(opts.Org, float64(opts.Events)/opts.Duration.Hours())
	g.org = buildOrg(opts.Seed, size)
	g.cat = newAWSCatalog()
	g.gcat = newGCPCatalog()
	g.pl = &planner{seed: opts.Seed, org: g.org, cat: g.cat, gcat: g.gcat}
	g.workspaceID = uuid(derive(opts.Seed, tagOrg, 99))
	g.w0 = floorDiv(g.start.Unix(), windowSec)
	g.nWin = int(floorDiv(g.end.Unix()-1, windowSec) - g.w0 + 1)
	return g
}

func (g *gen) size() OrgSize {
	return OrgSize{Accounts: len(g.org.accounts), Humans: len(g.org.humans), Instances: len(g.org.instances), Repos: len(g.org.repos), Projects: len(g.org.projects)}
}

// targets returns the background record count of each log. Derived counts
// leave room for the organisation's scheduled records; the pre-pass
// counts those, so derived targets are settled there.
func (g *gen) targets() [nClouds]int {
	var t [nClouds]int
	t[cAWS] = g.opts.Events
	t[cEntra], t[cGCP], t[cProxy] = g.opts.EntraEvents, g.opts.GCPEvents, g.opts.ProxyEvents
	auto := [nClouds]bool{cEntra: t[cEntra] == 0, cGCP: t[cGCP] == 0, cProxy: t[cProxy] == 0}
	ratio := [nClouds]float64{cEntra: 0.1, cGCP: 0.2, cProxy: 0.05}
	for c := range t {
		if auto[c] {
			t[c] = -1 - int(ratio[c]*float64(g.opts.Events)) // resolved in prepass
		}
	}
	return t
}

// run generates the windows in parallel and writes them in order.
func (g *gen) run(ctx context.Context, w *writer) error {
	workers := g.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		files   []fileOut
		appends []fileOut
		counts  map[string]int
		ciJobs  int
	}
	results := make([]chan result, g.nWin)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	sem := make(chan struct{}, workers*2)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				recs := g.generate(i)
				files, appends, counts, ci := g.render(i, recs)
				results[i] <- result{files, appends, counts, ci}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := 0; i < g.nWin; i++ {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var err error
	for i := 0; i < g.nWin && err == nil; i++ {
		var res result
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			err = ctx.Err()
			continue
		}
		for _, f := range res.files {
			if err = w.file(f.path, f.data); err != nil {
				break
			}
		}
		for _, a := range res.appends {
			if err == nil {
				err = w.append(a.sink, a.path, a.data)
			}
		}
		for k, v := range res.counts {
			w.sum.Records[k] += v
		}
		w.sum.CIJobs += res.ciJobs
		<-sem
		ws, _, _, _ := g.window(i)
		g.evictBefore(unixDay(ws) - 2)
	}
	cancel()
	wg.Wait() // result channels are buffered: workers never block on them
	return err
}

type fileOut struct {
	sink string
	path string
	data []byte
}

func logOf(r rec) string {
	switch {
	case r.ct != nil:
		return "cloudtrail"
	case r.si != nil:
		return signInLog(r.si)
	case r.ge != nil:
		if r.ge.activity() {
			return "gcp_activity"
		}
		return "gcp_data_access"
	case r.px != nil:
		return "proxy"
	}
	return "buildlog"
}

// render turns a window's records into files: one CloudTrail file per
// account and region, lines appended to the day (or hour) files of the
// other logs, and CI job logs.
func (g *gen) render(i int, recs []rec) (files, appends []fileOut, counts map[string]int, ciJobs int) {
	_, we, _, _ := g.window(i)
	counts = map[string]int{}
	type ctKey struct{ acct, region string }
	ct := map[ctKey][]*ctEvent{}
	var keys []ctKey
	bufs := map[string]*jw{}
	var sinks []string
	appendTo := func(sink, path string) *jw {
		k := sink + "\x00" + path
		b := bufs[k]
		if b == nil {
			b = &jw{}
			bufs[k] = b
			sinks = append(sinks, k)
		}
		return b
	}
	for _, r := range recs {
		counts[logOf(r)]++
		switch {
		case r.ct != nil:
			k := ctKey{r.ct.recipient, r.ct.region}
			if ct[k] == nil {
				keys = append(keys, k)
			}
			ct[k] = append(ct[k], r.ct)
		case r.si != nil:
			table := "SigninLogs"
			if !r.si.interactive {
				table = "AADNonInteractiveUserSignInLogs"
			}
			b := appendTo("entra/"+table, "entra/"+table+"/"+r.t.Format("2006/01/02")+"/"+table+"_"+r.t.Format("20060102")+".jsonl")
			r.si.render(b, g.org.tenantID, g.workspaceID)
			b.b = append(b.b, '\n')
			b.comma = false
		case r.ge != nil:
			kind := "data_access"
			if r.ge.activity() {
				kind = "activity"
			}
			hh := r.t.Format("15")
			b := appendTo("gcp/"+kind, "gcp/cloudaudit.googleapis.com/"+kind+"/"+r.t.Format("2006/01/02")+"/"+hh+":00:00_"+hh+":59:59_S0.json")
			r.ge.render(b)
			b.b = append(b.b, '\n')
			b.comma = false
		case r.px != nil:
			b := appendTo("proxy", "proxy/"+r.t.Format("2006/01/02")+"/proxy_"+r.t.Format("20060102")+".jsonl")
			r.px.render(b)
			b.b = append(b.b, '\n')
			b.comma = false
		case r.ci != nil:
			ciJobs++
			counts["buildlog"] += bytes.Count(r.ci.jsonl, []byte{'\n'}) - 1
			files = append(files, fileOut{path: r.ci.path, data: r.ci.text})
			b := appendTo("ci/buildlog", "ci/buildlog/"+r.t.Format("2006/01/02")+"/buildlog_"+r.t.Format("20060102")+".jsonl")
			b.b = append(b.b, r.ci.jsonl...)
		}
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].acct != keys[b].acct {
			return keys[a].acct < keys[b].acct
		}
		return keys[a].region < keys[b].region
	})
	fr := derive(g.opts.Seed, tagFile, uint64(g.w0+int64(i)))
	for _, k := range keys {
		w := jw{b: make([]byte, 0, 2048*len(ct[k])+64)}
		w.b = append(w.b, `{"Records":[`...)
		for j, e := range ct[k] {
			if j > 0 {
				w.b = append(w.b, ',')
			}
			w.comma = false
			e.render(&w)
		}
		w.b = append(w.b, "]}"...)
		stamp := we.Format("20060102T1504Z")
		path := "AWSLogs/" + k.acct + "/CloudTrail/" + k.region + "/" + we.Format("2006/01/02") + "/" + k.acct + "_CloudTrail_" + k.region + "_" + stamp + "_" + randChars(fr, mixedAlnum, 16) + ".json"
		data := w.b
		if g.opts.Gzip {
			path += ".gz"
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			zw.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		files = append(files, fileOut{path: path, data: data})
	}
	for _, k := range sinks {
		sink, path := k[:bytes.IndexByte([]byte(k), 0)], k[bytes.IndexByte([]byte(k), 0)+1:]
		appends = append(appends, fileOut{sink: sink, path: path, data: bufs[k].b})
	}
	return files, appends, counts, ciJobs
}

// prepareOut makes sure out can take a simulation.
func prepareOut(out string, force bool) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if !force {
		return errorf("output folder %s is not empty: choose an empty one, or force to replace a previous simulation there", out)
	}
	known := map[string]bool{}
	for _, n := range outputNames {
		known[n] = true
	}
	for _, e := range entries {
		if !known[e.Name()] {
			return errorf("output folder %s holds %s, which a simulation does not write: refusing to replace it", out, e.Name())
		}
	}
	for _, n := range outputNames {
		if err := os.RemoveAll(filepath.Join(out, n)); err != nil {
			return err
		}
	}
	return nil
}

type openFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

type writer struct {
	root string
	gzip bool
	open map[string]*openFile // by sink
	dirs sync.Map
	sum  *Summary
}

func (w *writer) mkdir(dir string) error {
	if _, ok := w.dirs.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	w.dirs.Store(dir, true)
	return nil
}

func (w *writer) file(rel string, data []byte) error {
	p := filepath.Join(w.root, filepath.FromSlash(rel))
	if err := w.mkdir(filepath.Dir(p)); err != nil {
		return err
	}
	w.sum.Files++
	w.sum.Bytes += int64(len(data))
	return os.WriteFile(p, data, 0o644)
}

// append adds data to the sink's current file, closing the previous one
// when the sink moves to a new file (a new day or hour).
func (w *writer) append(sink, rel string, data []byte) error {
	of := w.open[sink]
	if of != nil && of.path != rel {
		if err := of.close(); err != nil {
			return err
		}
		of = nil
	}
	if of == nil {
		p := filepath.Join(w.root, filepath.FromSlash(rel))
		if err := w.mkdir(filepath.Dir(p)); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		of = &openFile{path: rel, f: f, w: bufio.NewWriterSize(f, 1<<20)}
		w.open[sink] = of
		w.sum.Files++
	}
	w.sum.Bytes += int64(len(data))
	_, err := of.w.Write(data)
	return err
}

func (of *openFile) close() error {
	if err := of.w.Flush(); err != nil {
		of.f.Close()
		return err
	}
	return of.f.Close()
}

func (w *writer) closeAll() error {
	var first error
	sinks := make([]string, 0, len(w.open))
	for s := range w.open {
		sinks = append(sinks, s)
	}
	sort.Strings(sinks)
	for _, s := range sinks {
		if err := w.open[s].close(); err != nil && first == nil {
			first = err
		}
		delete(w.open, s)
	}
	return first
}

func (w *writer) labels(ls []Label) error {
	var buf bytes.Buffer
	for _, l := range ls {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	w.sum.Labels = len(ls)
	return os.WriteFile(filepath.Join(w.root, "labels.jsonl"), buf.Bytes(), 0o644)
}

// manifest records what was simulated. It holds no timing, so it is as
// deterministic as the logs.
func (w *writer) manifest(g *gen, opts Options) error {
	type scen struct {
		Name  string   `json:"name"`
		Count int      `json:"count"`
		At    []string `json:"at,omitempty"`
	}
	m := struct {
		Generator       string         `json:"generator"`
		Seed            string         `json:"seed"`
		Start           time.Time      `json:"start"`
		End             time.Time      `json:"end"`
		Clouds          []string       `json:"clouds"`
		Org             OrgSize        `json:"org"`
		Records         map[string]int `json:"records"`
		ScenarioRecords map[string]int `json:"scenario_records"`
		CIJobs          int            `json:"ci_jobs"`
		Scenarios       []scen         `json:"scenarios"`
		Skipped         []string       `json:"skipped_scenarios,omitempty"`
		Labels          int            `json:"labels"`
		Gzip            bool           `json:"gzip"`
		Layout          []string       `json:"layout"`
	}{
		Generator: "tokenhunt simulate", Seed: strconv.FormatUint(opts.Seed, 10), Start: g.start, End: g.end, Clouds: opts.Clouds, Org: g.size(),
		Records: w.sum.Records, ScenarioRecords: w.sum.ScenarioRecords, CIJobs: w.sum.CIJobs, Skipped: w.sum.Skipped, Labels: w.sum.Labels, Gzip: opts.Gzip,
		Layout: []string{
			"AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random>.json[.gz]: {\"Records\":[...]}, one file per account, region and 5-minute batch",
			"entra/SigninLogs/YYYY/MM/DD/SigninLogs_YYYYMMDD.jsonl and entra/AADNonInteractiveUserSignInLogs/...: Sentinel columns, one row a line",
			"gcp/cloudaudit.googleapis.com/{activity,data_access}/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json: LogEntry JSON lines, as a Cloud Storage sink writes them",
			"proxy/YYYY/MM/DD/proxy_YYYYMMDD.jsonl: egress and edge proxy requests, Sigma proxy field names",
			"ci/logs/YYYY/MM/DD/<owner>/<repo>/<run>/<job>.txt: build logs; ci/buildlog/YYYY/MM/DD/buildlog_YYYYMMDD.jsonl: the same lines as JSON",
			"labels.jsonl: one label per scenario finding",
		},
	}
	for _, s := range opts.Scenarios {
		sc := scen{Name: s.Name, Count: s.Count}
		for _, t := range s.At {
			sc.At = append(sc.At, t.UTC().Format(time.RFC3339))
		}
		m.Scenarios = append(m.Scenarios, sc)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.root, "manifest.json"), append(b, '\n'), 0o644)
}

// ReadLabels reads a labels.jsonl file.
func ReadLabels(path string) ([]Label, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Label
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l Label
		if err := json.Unmarshal(line, &l); err != nil {
			return nil, errorf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, l)
	}
	return out, nil
}
