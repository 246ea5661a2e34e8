package simulate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options say what to simulate and where to write it.
type Options struct {
	// Seed selects the organisation and every random choice: the same seed
	// and options give byte-identical output.
	Seed uint64
	// Start is the first instant simulated (default 2026-11-02T00:00:00Z,
	// a Monday); it is truncated to the second.
	Start time.Time
	// Duration is how long to simulate (default 24h).
	Duration time.Duration
	// Events is the number of background CloudTrail records, exactly
	// (default 100000). Scenario records come on top.
	Events int
	// EntraEvents, GCPEvents and ProxyEvents are the background record
	// counts of the other logs, exactly; zero derives them from Events
	// (1/10, 1/5 and 1/20, at least what the organisation's scheduled
	// sign-ins and CI jobs need).
	EntraEvents int
	GCPEvents   int
	ProxyEvents int
	// Org sizes the organisation; zero fields follow from the event rate.
	Org OrgSize
	// Clouds limits the outputs: aws, entra, gcp, proxy, ci (default all).
	Clouds []string
	// Scenarios to inject. Nil injects each scenario once; an empty,
	// non-nil slice injects none.
	Scenarios []ScenarioSpec
	// Gzip compresses the CloudTrail files (.json.gz), as CloudTrail
	// delivers them.
	Gzip bool
	// Out is the output folder. It must be empty or absent unless Force
	// is set, which first removes a previous simulation's files there.
	Out   string
	Force bool
	// Workers generating windows in parallel (default GOMAXPROCS). The
	// output does not depend on it.
	Workers int
}

// ScenarioSpec asks for Count injections of scenario Name (default 1), at
// the given times or, without them, at times drawn from the seed.
type ScenarioSpec struct {
	Name  string
	Count int
	At    []time.Time
}

// DefaultStart returns the default first simulated instant,
// 2026-11-02T00:00:00Z (a Monday).
func DefaultStart() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// normalize fills defaults and checks the options.
func (o Options) normalize() (Options, error) {
	if o.Start.IsZero() {
		o.Start = DefaultStart()
	}
	o.Start = o.Start.UTC().Truncate(time.Second)
	if o.Duration == 0 {
		o.Duration = 24 * time.Hour
	}
	if o.Duration < time.Minute {
		return o, errorf("duration %s is too short: simulate at least a minute", o.Duration)
	}
	if o.Duration > 3*366*24*time.Hour {
		return o, errorf("duration %s is too long: simulate at most three years", o.Duration)
	}
	if o.Events == 0 {
		o.Events = 100000
	}
	for name, v := range map[string]int{"events": o.Events, "entra events": o.EntraEvents, "gcp events": o.GCPEvents, "proxy events": o.ProxyEvents} {
		if v < 0 {
			return o, errorf("%s must not be negative (got %d)", name, v)
		}
	}
	for name, v := range map[string]int{"accounts": o.Org.Accounts, "humans": o.Org.Humans, "instances": o.Org.Instances, "repos": o.Org.Repos, "projects": o.Org.Projects} {
		if v < 0 {
			return o, errorf("organisation size %s must not be negative (got %d)", name, v)
		}
	}
	if len(o.Clouds) == 0 {
		o.Clouds = cloudNames[:]
	}
	for _, c := range o.Clouds {
		if !slices.Contains(cloudNames[:], c) {
			return o, errorf("unknown cloud %q: choose from %s", c, strings.Join(cloudNames[:], ", "))
		}
	}
	if o.Scenarios == nil {
		for _, d := range scenarioDefs {
			o.Scenarios = append(o.Scenarios, ScenarioSpec{Name: d.name, Count: 1})
		}
	}
	for i, s := range o.Scenarios {
		if findScenario(s.Name) == nil {
			return o, errorf("unknown scenario %q: choose from %s", s.Name, strings.Join(ScenarioNames(), ", "))
		}
		if s.Count == 0 {
			o.Scenarios[i].Count = max(1, len(s.At))
		}
		if s.Count < 0 {
			return o, errorf("scenario %s: count must be positive (got %d)", s.Name, s.Count)
		}
		if len(s.At) > 0 && len(s.At) != o.Scenarios[i].Count {
			return o, errorf("scenario %s: %d times given for %d injections", s.Name, len(s.At), o.Scenarios[i].Count)
		}
	}
	if o.Out == "" {
		return o, errorf("no output folder given")
	}
	return o, nil
}

// ParseDuration reads durations with a day unit as well as Go's own:
// 30d, 1d12h, 90m, 24h.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, errorf("bad duration %q: want e.g. 30d, 1d12h, 24h or 90m", orig)
		}
		total = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errorf("bad duration %q: want e.g. 30d, 1d12h, 24h or 90m", orig)
	}
	return total + d, nil
}

// ParseScenario reads NAME[:COUNT][@WHEN[,WHEN...]], where WHEN is an
// RFC 3339 time or an offset from start (36h, 2d3h). The group names all,
// attacks, benign and none expand to the scenarios they name.
func ParseScenario(s string, start time.Time) ([]ScenarioSpec, error) {
	name, when, _ := strings.Cut(s, "@")
	name, count, hasCount := strings.Cut(name, ":")
	n := 0
	if hasCount {
		var err error
		n, err = strconv.Atoi(count)
		if err != nil || n < 1 {
			return nil, errorf("scenario %q: count %q is not a positive number", s, count)
		}
	}
	var at []time.Time
	if when != "" {
		for _, w := range strings.Split(when, ",") {
			if t, err := time.Parse(time.RFC3339, w); err == nil {
				at = append(at, t.UTC())
				continue
			}
			d, err := ParseDuration(w)
			if err != nil {
				return nil, errorf("scenario %q: time %q is neither RFC 3339 nor an offset such as 36h", s, w)
			}
			at = append(at, start.Add(d))
		}
		if n == 0 {
			n = len(at)
		}
	}
	var names []string
	switch name {
	case "none":
		return []ScenarioSpec{}, nil
	case "all", "attacks", "benign":
		if when != "" {
			return nil, errorf("scenario group %q cannot take times", name)
		}
		for _, d := range scenarioDefs {
			if name == "all" || (name == "benign") == d.benign {
				names = append(names, d.name)
			}
		}
	default:
		if findScenario(name) == nil {
			return nil, errorf("unknown scenario %q: choose from %s (or all, attacks, benign, none)", name, strings.Join(ScenarioNames(), ", "))
		}
		names = []string{name}
	}
	var out []ScenarioSpec
	for _, nm := range names {
		out = append(out, ScenarioSpec{Name: nm, Count: max(n, 1), At: at})
	}
	return out, nil
}
