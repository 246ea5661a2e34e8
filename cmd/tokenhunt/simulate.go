package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhunt/tokenhunt/internal/simparquet"
	"github.com/tokenhunt/tokenhunt/internal/simulate"
)

func newSimulate() *cobra.Command {
	var (
		out, start, duration, clouds string
		seed                         uint64
		events, rate                 int
		entra, gcp, proxy            int
		size                         simulate.OrgSize
		scenarios                    []string
		gzip, force, listScenarios   bool
		toParquet                    bool
		workers                      int
	)
	cmd := &cobra.Command{
		Use:   "simulate --out DIR [--seed N] [--duration 24h|30d] [--events N | --rate N] [--scenario SPEC]...",
		Short: "Write realistic, labelled cloud audit logs of a simulated organisation",
		Long: `Simulate Example Corp: AWS accounts, an Entra ID tenant and GCP projects, the
people who work there (time zones, home networks, VPN), instances, CI jobs and a
monitoring vendor, and write their logs as the clouds export them:

  AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json[.gz]   CloudTrail {"Records":[...]}
  entra/{SigninLogs,AADNonInteractiveUserSignInLogs}/YYYY/MM/DD/  Sentinel columns, JSON lines
  gcp/cloudaudit.googleapis.com/{activity,data_access}/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json
  proxy/YYYY/MM/DD/                                              egress and edge proxy, JSON lines
  ci/logs/... (job logs) and ci/buildlog/YYYY/MM/DD/ (the same lines as JSON)
  labels.jsonl, manifest.json

--parquet then converts the CloudTrail, Entra sign-in and GCP logs with
tokenhunt ingest into the day-partitioned Parquet the DuckDB pipelines read
(parquet/cloudtrail, parquet/entra-signin/{SigninLogs,AADNonInteractiveUserSignInLogs},
parquet/gcp-audit, each .../year=YYYY/month=MM/day=DD/); proxy and CI build
logs have no ingest kind and are hunted as the JSON lines written. It is off
by default: the JSON is what the clouds export, and the conversion takes
about as long again as the simulation.

Attack scenarios and benign look-alikes are injected and labelled in
labels.jsonl: the record ids involved and the finding a perfect detector raises.
--scenario takes NAME[:COUNT][@WHEN[,WHEN...]] (WHEN: RFC 3339 or an offset from
--start such as 36h or 2d3h), or all, attacks, benign, none; repeat it to combine.
Without it every scenario is injected once. --list-scenarios lists them.

The same seed and options give byte-identical output. --events is the exact
number of background CloudTrail records (scenario records come on top); the
organisation's size follows from the rate unless given. Every secret written is
fake (…EXAMPLE…) and every address is a documentation or shared-address-space one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			if listScenarios {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				for _, s := range simulate.Scenarios() {
					kind := "attack"
					if s.Benign {
						kind = "benign"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Cloud, kind, s.Description)
				}
				return tw.Flush()
			}
			usage := func(err error) error { return &exitError{code: 2, err: err} }
			if out == "" {
				return usage(fmt.Errorf("--out is required: the folder to write the logs to"))
			}
			opts := simulate.Options{Seed: seed, Out: out, Gzip: gzip, Force: force, Workers: workers, Org: size, EntraEvents: entra, GCPEvents: gcp, ProxyEvents: proxy}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return usage(fmt.Errorf("--start %q: want an RFC 3339 time such as 2026-11-02T00:00:00Z", start))
				}
				opts.Start = t
			}
			d, err := simulate.ParseDuration(duration)
			if err != nil {
				return usage(fmt.Errorf("--duration: %w", err))
			}
			opts.Duration = d
			switch {
			case events > 0 && rate > 0:
				return usage(fmt.Errorf("give --events or --rate, not both"))
			case rate > 0:
				opts.Events = int(math.Round(float64(rate) * d.Hours()))
			default:
				opts.Events = events
			}
			if clouds != "" {
				opts.Clouds = strings.Split(clouds, ",")
			}
			base := opts.Start
			if base.IsZero() {
				base = simulate.DefaultStart()
			}
			if len(scenarios) > 0 {
				opts.Scenarios = []simulate.ScenarioSpec{}
				for _, s := range scenarios {
					specs, err := simulate.ParseScenario(s, base)
					if err != nil {
						return usage(fmt.Errorf("--scenario: %w", err))
					}
					opts.Scenarios = append(opts.Scenarios, specs...)
				}
			}
			// A batch job that allocates a lot of short-lived records: trade
			// memory for less collector work while it runs.
			defer debug.SetGCPercent(debug.SetGCPercent(400))
			began := time.Now()
			sum, err := simulate.Run(cmd.Context(), opts)
			if err != nil {
				return usage(err)
			}
			took := time.Since(began)
			fmt.Fprintf(w, "simulated %s to %s: %d accounts, %d people, %d instances, %d repositories, %d projects\n",
				sum.Start.Format(time.RFC3339), sum.End.Format(time.RFC3339), sum.Org.Accounts, sum.Org.Humans, sum.Org.Instances, sum.Org.Repos, sum.Org.Projects)
			logs := make([]string, 0, len(sum.Records))
			for k := range sum.Records {
				logs = append(logs, k)
			}
			slices.Sort(logs)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
			for _, k := range logs {
				fmt.Fprintf(tw, "%d\t%d\t %s\n", sum.Records[k], sum.ScenarioRecords[k], k)
			}
			tw.Flush()
			if len(sum.Skipped) > 0 {
				fmt.Fprintf(w, "skipped scenarios (their clouds are not simulated): %s\n", strings.Join(sum.Skipped, ", "))
			}
			total := 0
			for _, v := range sum.Records {
				total += v
			}
			fmt.Fprintf(w, "%d labels, %d CI jobs, %d files, %.1f MB in %s (%.0f records/s) → %s\n",
				sum.Labels, sum.CIJobs, sum.Files, float64(sum.Bytes)/1e6, took.Round(time.Millisecond), float64(total)/took.Seconds(), out)
			if !toParquet {
				return nil
			}
			began = time.Now()
			res, err := simparquet.Convert(cmd.Context(), out)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			for _, r := range res {
				fmt.Fprintf(tw, "%d\t%d\t %s (table %s, pipeline %s)\n", r.Records, r.Files, r.Out, r.Table, r.Pipeline)
			}
			tw.Flush()
			fmt.Fprintf(w, "Parquet (records, files) in %s; proxy/ and ci/buildlog/ stay JSON lines\n", time.Since(began).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "output folder (empty or absent; see --force)")
	f.Uint64Var(&seed, "seed", 1, "seed: the same seed and options give the same bytes")
	f.StringVar(&start, "start", "", "first simulated instant, RFC 3339 (default 2026-11-02T00:00:00Z, a Monday)")
	f.StringVar(&duration, "duration", "24h", "how long to simulate: 24h, 30d, 1d12h, 90m")
	f.IntVar(&events, "events", 0, "background CloudTrail records, exactly (default 100000)")
	f.IntVar(&rate, "rate", 0, "background CloudTrail records per hour (instead of --events)")
	f.IntVar(&entra, "entra-events", 0, "background Entra sign-in rows (default: events/10)")
	f.IntVar(&gcp, "gcp-events", 0, "background GCP audit entries (default: events/5)")
	f.IntVar(&proxy, "proxy-events", 0, "background proxy lines (default: events/20)")
	f.StringVar(&clouds, "clouds", "", "comma-separated logs to write: aws,entra,gcp,proxy,ci (default all)")
	f.StringArrayVar(&scenarios, "scenario", nil, "NAME[:COUNT][@WHEN,...], all, attacks, benign or none (repeatable; default: each scenario once)")
	f.BoolVar(&listScenarios, "list-scenarios", false, "list the scenarios and exit")
	f.IntVar(&size.Accounts, "accounts", 0, "AWS accounts (default: from the rate)")
	f.IntVar(&size.Humans, "humans", 0, "people (default: from the rate)")
	f.IntVar(&size.Instances, "instances", 0, "EC2 instances (default: from the rate)")
	f.IntVar(&size.Repos, "repos", 0, "CI repositories (default: from the rate)")
	f.IntVar(&size.Projects, "projects", 0, "GCP projects (default: from the rate)")
	f.BoolVar(&gzip, "gzip", false, "gzip the CloudTrail files (.json.gz), as CloudTrail delivers them")
	f.BoolVar(&toParquet, "parquet", false, "also convert the CloudTrail, Entra and GCP logs to day-partitioned Parquet under OUT/parquet (as tokenhunt ingest does)")
	f.BoolVar(&force, "force", false, "replace a previous simulation in --out")
	f.IntVar(&workers, "workers", 0, "parallel generators (default: the number of CPUs); the output does not depend on it")
	return cmd
}
