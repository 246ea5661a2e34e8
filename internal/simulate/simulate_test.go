package simulate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/internal/redact"
)

// fixtureOptions is the simulation most tests read: every scenario, some
// several times, over 30 hours.
func fixtureOptions(dir string) Options {
	specs := []ScenarioSpec{}
	for _, name := range ScenarioNames() {
		n := 1
		switch name {
		case "ci-token-leak":
			n = 3 // an AWS key, a Google token and a JWT
		case "aws-session-token-replay":
			n = 2
		}
		specs = append(specs, ScenarioSpec{Name: name, Count: n})
	}
	seed := uint64(42)
	if s, err := strconv.ParseUint(os.Getenv("SIMULATE_TEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	return Options{Seed: seed, Duration: 30 * time.Hour, Events: 20000, Scenarios: specs, Out: dir}
}

type record = map[string]any

// corpus is a simulation read back: every record of every log by id.
type corpus struct {
	dir    string
	sum    *Summary
	labels []Label
	ct     []record
	byID   map[string]record // every record of every log, by its id
	logOf  map[string]string // id → log name
	timeOf map[string]time.Time
}

var fixture struct {
	once sync.Once
	c    *corpus
	err  error
}

func loadFixture(t *testing.T) *corpus {
	t.Helper()
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "simulate-fixture")
		if err != nil {
			fixture.err = err
			return
		}
		sum, err := Run(context.Background(), fixtureOptions(dir))
		if err != nil {
			fixture.err = err
			return
		}
		fixture.c, fixture.err = readCorpus(dir)
		if fixture.c != nil {
			fixture.c.sum = sum
		}
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.c
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.c != nil {
		os.RemoveAll(fixture.c.dir)
	}
	os.Exit(code)
}

func decodeLines(path string, each func(r record) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			return errorf("%s:%d: %v", path, i+1, err)
		}
		if err := each(r); err != nil {
			return err
		}
	}
	return nil
}

var ctName = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json$`)

// readCorpus parses every file a simulation wrote; any JSON error fails.
func readCorpus(dir string) (*corpus, error) {
	c := &corpus{dir: dir, byID: map[string]record{}, logOf: map[string]string{}, timeOf: map[string]time.Time{}}
	add := func(id, log string, t time.Time, r record) error {
		if _, dup := c.byID[id]; dup {
			return errorf("duplicate record id %s in %s", id, log)
		}
		c.byID[id], c.logOf[id], c.timeOf[id] = r, log, t
		return nil
	}
	parse := func(layout, s string) time.Time {
		t, _ := time.Parse(layout, s)
		return t
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		switch {
		case strings.HasPrefix(rel, "AWSLogs/"):
			m := ctName.FindStringSubmatch(rel)
			if m == nil || m[1] != m[4] || m[2] != m[5] {
				return errorf("CloudTrail file %s is not named like CloudTrail's", rel)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var f struct{ Records []record }
			if err := json.Unmarshal(data, &f); err != nil {
				return errorf("%s: %v", rel, err)
			}
			for _, r := range f.Records {
				if r["recipientAccountId"] != m[1] || r["awsRegion"] != m[2] {
					return errorf("%s holds a record of %v/%v", rel, r["recipientAccountId"], r["awsRegion"])
				}
				c.ct = append(c.ct, r)
				if err := add(str(r, "eventID"), "cloudtrail", parse(time.RFC3339, str(r, "eventTime")), r); err != nil {
					return err
				}
			}
		case strings.HasPrefix(rel, "entra/"):
			return decodeLines(p, func(r record) error {
				return add(str(r, "Id"), strings.ToLower(str(r, "Type")), parse(time.RFC3339Nano, str(r, "TimeGenerated")), r)
			})
		case strings.HasPrefix(rel, "gcp/"):
			return decodeLines(p, func(r record) error {
				log := "gcp_data_access"
				if strings.HasSuffix(str(r, "logName"), "%2Factivity") {
					log = "gcp_activity"
				}
				return add(str(r, "insertId"), log, parse(time.RFC3339Nano, str(r, "timestamp")), r)
			})
		case strings.HasPrefix(rel, "proxy/"):
			return decodeLines(p, func(r record) error {
				return add(str(r, "id"), "proxy", parse(time.RFC3339Nano, str(r, "time")), r)
			})
		case strings.HasPrefix(rel, "ci/buildlog/"):
			return decodeLines(p, func(r record) error {
				return add(str(r, "id"), "buildlog", parse(time.RFC3339Nano, str(r, "time")), r)
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.labels, err = ReadLabels(filepath.Join(dir, "labels.jsonl"))
	return c, err
}

// get walks a dotted path through decoded JSON.
func get(r record, path string) any {
	var cur any = r
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func str(r record, path string) string {
	s, _ := get(r, path).(string)
	return s
}

func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSameSeedSameBytes(t *testing.T) {
	run := func(seed uint64, workers int) map[string]string {
		dir := t.TempDir()
		opts := Options{Seed: seed, Duration: 26 * time.Hour, Events: 5000, Out: dir, Workers: workers, Gzip: true}
		if _, err := Run(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		return hashDir(t, dir)
	}
	a, b := run(7, 1), run(7, 4)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different workers: files differ (-1 worker +4 workers):\n%s", diff)
	}
	if len(a) < 100 {
		t.Errorf("only %d files written", len(a))
	}
	c := run(8, 2)
	same := 0
	for k, v := range c {
		if a[k] == v {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 7 and 8 wrote %d identical files", same)
	}
}

func TestLabelsReferToRecords(t *testing.T) {
	c := loadFixture(t)
	if len(c.labels) < len(scenarioDefs) {
		t.Fatalf("%d labels for %d scenarios", len(c.labels), len(scenarioDefs))
	}
	seen := map[string]bool{}
	for _, l := range c.labels {
		seen[l.Scenario] = true
		t.Run(l.ID+"/"+l.Finding.Rule, func(t *testing.T) {
			if len(l.MatchIDs) == 0 {
				t.Fatal("no match ids")
			}
			for _, id := range l.EventIDs {
				if _, ok := c.byID[id]; !ok {
					t.Errorf("event id %s is in no log", id)
				}
			}
			var first, last time.Time
			for _, id := range l.MatchIDs {
				if !slices.Contains(l.EventIDs, id) {
					t.Errorf("match id %s is not among the event ids", id)
				}
				if got := c.logOf[id]; got != l.Finding.Log {
					t.Errorf("match id %s is in %s, the label says %s", id, got, l.Finding.Log)
				}
				tm := c.timeOf[id]
				if first.IsZero() || tm.Before(first) {
					first = tm
				}
				if tm.After(last) {
					last = tm
				}
			}
			if !first.Equal(l.Finding.First) || !last.Equal(l.Finding.Last) {
				t.Errorf("finding spans %s to %s, its records %s to %s", l.Finding.First, l.Finding.Last, first, last)
			}
		})
	}
	for _, d := range scenarioDefs {
		if !seen[d.name] {
			t.Errorf("scenario %s wrote no label", d.name)
		}
	}
}

func (c *corpus) labelsOf(rule string, benign bool) []Label {
	var out []Label
	for _, l := range c.labels {
		if l.Finding.Rule == rule && l.Benign == benign {
			out = append(out, l)
		}
	}
	return out
}

func (c *corpus) records(ids []string) []record {
	var out []record
	for _, id := range ids {
		out = append(out, c.byID[id])
	}
	return out
}

func isPrivate(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.IsPrivate()
}

func ctTime(r record) time.Time {
	t, _ := time.Parse(time.RFC3339, str(r, "eventTime"))
	return t
}

// issuance finds the record whose response issued key.
func (c *corpus) issuance(key string) record {
	for _, r := range c.ct {
		if str(r, "responseElements.credentials.accessKeyId") == key {
			return r
		}
	}
	return nil
}

func (c *corpus) usesOfKey(key string) []record {
	var out []record
	for _, r := range c.ct {
		if str(r, "userIdentity.accessKeyId") == key {
			out = append(out, r)
		}
	}
	return out
}

func addrSet(rs []record, field string) []string {
	var out []string
	for _, r := range rs {
		ip := str(r, field)
		if isIP(ip) && !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	slices.Sort(out)
	return out
}

func TestScenarioShapes(t *testing.T) {
	c := loadFixture(t)
	t.Run("session token replayed from two networks within its lifetime", func(t *testing.T) {
		ls := c.labelsOf(famSessionReplay, false)
		if len(ls) < 3 { // two replays and the leaked CI key
			t.Fatalf("%d replay labels", len(ls))
		}
		for _, l := range ls {
			iss := c.issuance(l.Entity.AccessKeyID)
			if iss == nil {
				t.Fatalf("%s: key %s was never issued", l.ID, l.Entity.AccessKeyID)
			}
			expires, err := time.Parse(layoutSTSExpiry, str(iss, "responseElements.credentials.expiration"))
			if err != nil {
				t.Fatal(err)
			}
			var within []record
			for _, r := range c.usesOfKey(l.Entity.AccessKeyID) {
				if tm := ctTime(r); !tm.Before(ctTime(iss)) && !tm.After(expires) {
					within = append(within, r)
				}
			}
			if got := addrSet(within, "sourceIPAddress"); !cmp.Equal(got, sorted(l.Entity.SourceIPs)) {
				t.Errorf("%s: key used within its lifetime from %v, label says %v", l.ID, got, l.Entity.SourceIPs)
			}
		}
	})
	t.Run("issued key reads secrets within 15 minutes", func(t *testing.T) {
		for _, l := range c.labelsOf(famIssuedThenRead, false) {
			iss := c.issuance(l.Entity.AccessKeyID)
			if iss == nil || str(iss, "eventName") != "AssumeRole" || str(iss, "userIdentity.accessKeyId") != l.Entity.ParentKeyID {
				t.Fatalf("%s: no AssumeRole by %s issued %s", l.ID, l.Entity.ParentKeyID, l.Entity.AccessKeyID)
			}
			found := false
			for _, r := range c.records(l.MatchIDs) {
				d := ctTime(r).Sub(ctTime(iss))
				if str(r, "eventName") == "GetSecretValue" && str(r, "userIdentity.accessKeyId") == l.Entity.AccessKeyID && d >= 0 && d <= 15*time.Minute {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no GetSecretValue by the issued key within 15 minutes", l.ID)
			}
		}
	})
	t.Run("instance credentials used from outside", func(t *testing.T) {
		ls := c.labelsOf(famInstanceOutside, false)
		if len(ls) != 2 { // the theft and the SSRF
			t.Fatalf("%d labels", len(ls))
		}
		for _, l := range ls {
			for _, r := range c.records(l.MatchIDs) {
				if str(r, "userIdentity.sessionContext.ec2RoleDelivery") == "" || !isIP(str(r, "sourceIPAddress")) || isPrivate(str(r, "sourceIPAddress")) {
					t.Errorf("%s: match %s is not an instance session called from a public address", l.ID, str(r, "eventID"))
				}
			}
			own := false
			for _, r := range c.usesOfKey(l.Entity.AccessKeyID) {
				own = own || str(r, "sourceIPAddress") == l.Entity.SourceIPs[0] && isPrivate(l.Entity.SourceIPs[0])
			}
			if !own {
				t.Errorf("%s: the instance never used its own credentials", l.ID)
			}
		}
	})
	t.Run("many distinct writes within the hour after issuance", func(t *testing.T) {
		for _, l := range c.labelsOf(famScopeExpansion, false) {
			names := map[string]bool{}
			for _, r := range c.records(l.MatchIDs) {
				if get(r, "readOnly") != false || str(r, "userIdentity.accessKeyId") != l.Entity.AccessKeyID {
					t.Errorf("%s: match %s is not a write by the issued key", l.ID, str(r, "eventID"))
				}
				names[str(r, "eventSource")+":"+str(r, "eventName")] = true
			}
			if len(names) < 12 || l.Finding.Last.Sub(l.Finding.First) > time.Hour {
				t.Errorf("%s: %d distinct writes over %s", l.ID, len(names), l.Finding.Last.Sub(l.Finding.First))
			}
		}
	})
	t.Run("persistence", func(t *testing.T) {
		check := func(rule string, ok func(r record) bool) {
			ls := c.labelsOf(rule, false)
			if len(ls) == 0 {
				t.Errorf("no %s label", rule)
			}
			for _, l := range ls {
				for _, r := range c.records(l.MatchIDs) {
					if !ok(r) {
						b, _ := json.Marshal(r["requestParameters"])
						t.Errorf("%s %s: %s %s does not have the shape", l.ID, rule, str(r, "eventName"), b)
					}
				}
			}
		}
		check(famKeyForOther, func(r record) bool {
			u := str(r, "requestParameters.userName")
			return str(r, "eventName") == "CreateAccessKey" && u != "" && u != str(r, "userIdentity.userName")
		})
		check(famLoginProfileOther, func(r record) bool {
			return str(r, "eventName") == "CreateLoginProfile" && str(r, "requestParameters.userName") != str(r, "userIdentity.userName")
		})
		check(famAdminPolicy, func(r record) bool {
			return str(r, "eventName") == "AttachUserPolicy" && str(r, "requestParameters.policyArn") == "arn:aws:iam::aws:policy/AdministratorAccess"
		})
		check(famTrustOpened, func(r record) bool {
			return str(r, "eventName") == "UpdateAssumeRolePolicy" && strings.Contains(str(r, "requestParameters.policyDocument"), "arn:aws:iam::"+attackerAccount+":root")
		})
		check(famUserCreated, func(r record) bool { return str(r, "eventName") == "CreateUser" })
	})
	t.Run("Entra session replayed from another autonomous system", func(t *testing.T) {
		for _, l := range c.labelsOf(famEntraReplay, false) {
			asns, tokenASNs := map[string]bool{}, map[string]map[string]bool{}
			for _, id := range l.EventIDs {
				r := c.byID[id]
				if str(r, "SessionId") != l.Entity.SessionID {
					t.Errorf("%s: row %s of another session", l.ID, id)
				}
				asns[str(r, "AutonomousSystemNumber")] = true
				tok := str(r, "UniqueTokenIdentifier")
				if tokenASNs[tok] == nil {
					tokenASNs[tok] = map[string]bool{}
				}
				tokenASNs[tok][str(r, "AutonomousSystemNumber")] = true
			}
			if len(asns) < 2 || len(tokenASNs[l.Entity.TokenID]) < 2 {
				t.Errorf("%s: session seen from %d autonomous systems, token %s from %d", l.ID, len(asns), l.Entity.TokenID, len(tokenASNs[l.Entity.TokenID]))
			}
			if l.Finding.Last.Sub(l.Finding.First) > time.Hour {
				t.Errorf("%s: replay spans %s", l.ID, l.Finding.Last.Sub(l.Finding.First))
			}
		}
	})
	t.Run("refresh token from a network the user never used", func(t *testing.T) {
		for _, l := range c.labelsOf(famEntraRefreshNew, false) {
			story := map[string]bool{}
			for _, id := range l.EventIDs {
				story[id] = true
			}
			for _, r := range c.records(l.MatchIDs) {
				if str(r, "IncomingTokenType") != "refreshToken" || get(r, "IsInteractive") != false {
					t.Errorf("%s: match %s is not a non-interactive refresh-token sign-in", l.ID, str(r, "Id"))
				}
				asn := str(r, "AutonomousSystemNumber")
				for id, other := range c.byID {
					if !story[id] && str(other, "UserPrincipalName") == l.Entity.User && str(other, "AutonomousSystemNumber") == asn {
						t.Fatalf("%s: the user signed in from AS%s before (%s)", l.ID, asn, id)
					}
				}
			}
		}
	})
	t.Run("GCP key created, token minted with it, token used", func(t *testing.T) {
		for _, l := range c.labelsOf(famGCPMintThenUse, false) {
			var mint record
			for _, id := range l.EventIDs {
				r := c.byID[id]
				if str(r, "protoPayload.methodName") == "GenerateAccessToken" {
					mint = r
				}
			}
			if mint == nil || !strings.HasSuffix(str(mint, "protoPayload.authenticationInfo.serviceAccountKeyName"), "/keys/"+l.Entity.KeyID) {
				t.Fatalf("%s: no GenerateAccessToken with key %s", l.ID, l.Entity.KeyID)
			}
			for _, r := range c.records(l.MatchIDs) {
				deleg, _ := get(r, "protoPayload.authenticationInfo.serviceAccountDelegationInfo").([]any)
				if len(deleg) == 0 || str(deleg[0].(record), "firstPartyPrincipal.principalEmail") != str(mint, "protoPayload.authenticationInfo.principalEmail") {
					t.Errorf("%s: use %s is not delegated from the key's service account", l.ID, str(r, "insertId"))
				}
				if str(r, "protoPayload.authenticationInfo.principalEmail") != l.Entity.ServiceAccount {
					t.Errorf("%s: use %s by %s", l.ID, str(r, "insertId"), str(r, "protoPayload.authenticationInfo.principalEmail"))
				}
			}
		}
		for _, l := range c.labelsOf(famGCPKeyCreated, false) {
			r := c.byID[l.MatchIDs[0]]
			if !strings.HasSuffix(str(r, "protoPayload.response.name"), "/keys/"+l.Entity.KeyID) {
				t.Errorf("%s: CreateServiceAccountKey returned %s", l.ID, str(r, "protoPayload.response.name"))
			}
		}
	})
	t.Run("credentials printed in a CI log, and redacted by tokenhunt", func(t *testing.T) {
		ls := c.labelsOf(famCILeak, false)
		if len(ls) != 3 {
			t.Fatalf("%d CI leak labels", len(ls))
		}
		kinds := map[string]bool{}
		for _, l := range ls {
			data, err := os.ReadFile(filepath.Join(c.dir, l.Entity.File))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(data), "\n")
			for i, n := range l.Entity.Lines {
				line := lines[n-1]
				if c.byID[l.MatchIDs[i]]["message"] != strings.SplitN(line, " ", 2)[1] {
					t.Errorf("%s: build-log record %s is not line %d", l.ID, l.MatchIDs[i], n)
				}
				red := redact.String(line)
				for _, marker := range []string{"ASIA", "IQoJb3JpZ2lu", "ya29.", "eyJ"} {
					if strings.Contains(line, marker) {
						kinds[marker] = true
					}
				}
				if red == line || strings.Contains(red, "EXAMPLE") {
					t.Errorf("%s: line %d not redacted: %s", l.ID, n, red)
				}
			}
			if l.Entity.AccessKeyID != "" && !strings.Contains(string(data), "AWS_ACCESS_KEY_ID="+l.Entity.AccessKeyID) {
				t.Errorf("%s: the log does not print the key %s", l.ID, l.Entity.AccessKeyID)
			}
		}
		if len(kinds) != 4 {
			t.Errorf("leaked secret kinds %v, want AWS key and token, Google token, JWT", kinds)
		}
	})
	t.Run("metadata credentials requested through the proxy", func(t *testing.T) {
		for _, l := range c.labelsOf(famMetadataRequest, false) {
			creds := 0
			for _, r := range c.records(l.MatchIDs) {
				u, _ := url.QueryUnescape(str(r, "c-uri"))
				if !strings.Contains(u, "169.254.169.254/latest/meta-data/") {
					t.Errorf("%s: %s does not ask for metadata", l.ID, u)
				}
				if strings.Contains(u, "/iam/security-credentials/") {
					creds++
				}
			}
			if creds < 2 {
				t.Errorf("%s: %d credential requests", l.ID, creds)
			}
		}
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestBenignLookAlikes(t *testing.T) {
	c := loadFixture(t)
	t.Run("VPN address change stays in the VPN's network", func(t *testing.T) {
		vpn := networksOf(netVPN)[0]
		for _, l := range c.labels {
			if l.Scenario != "benign-vpn-switch" {
				continue
			}
			if len(l.Entity.ASNs) != 1 || l.Entity.ASNs[0] != vpn.asn || len(l.Entity.SourceIPs) != 2 {
				t.Errorf("%s: %v from %v", l.ID, l.Entity.SourceIPs, l.Entity.ASNs)
			}
			for _, r := range c.records(l.EventIDs) {
				ip := str(r, "sourceIPAddress") + str(r, "IPAddress")
				if a := netip.MustParseAddr(ip); !vpn.v4.Contains(a) {
					t.Errorf("%s: record from %s, outside the VPN", l.ID, ip)
				}
			}
		}
	})
	t.Run("CI runners: each key from one runner", func(t *testing.T) {
		for _, l := range c.labelsOf(famRoleNewSource, true) {
			if len(l.MatchIDs) < 25 || len(l.Entity.SourceIPs) < 20 {
				t.Errorf("%s: %d assumptions from %d runners", l.ID, len(l.MatchIDs), len(l.Entity.SourceIPs))
			}
			for _, r := range c.records(l.MatchIDs) {
				key := str(r, "responseElements.credentials.accessKeyId")
				if ips := addrSet(c.usesOfKey(key), "sourceIPAddress"); len(ips) != 1 || ips[0] != str(r, "sourceIPAddress") {
					t.Errorf("%s: key %s used from %v", l.ID, key, ips)
				}
			}
		}
	})
	t.Run("Terraform writes hold no attack pattern", func(t *testing.T) {
		for _, l := range c.labelsOf(famScopeExpansion, true) {
			names := map[string]bool{}
			for _, r := range c.records(l.MatchIDs) {
				names[str(r, "eventName")] = true
				b, _ := json.Marshal(r["requestParameters"])
				if !strings.Contains(str(r, "userAgent"), "Terraform/") {
					t.Errorf("%s: %s not by Terraform", l.ID, str(r, "eventName"))
				}
				for _, bad := range []string{"AdministratorAccess", attackerAccount, "0.0.0.0/0", `\"Action\":\"*\"`} {
					if bytes.Contains(b, []byte(bad)) {
						t.Errorf("%s: %s carries %s: %s", l.ID, str(r, "eventName"), bad, b)
					}
				}
			}
			if len(names) < 12 {
				t.Errorf("%s: only %d distinct writes: not a look-alike", l.ID, len(names))
			}
		}
	})
	t.Run("administrator's own access key", func(t *testing.T) {
		for _, l := range c.labelsOf(famKeyForOther, true) {
			for _, r := range c.records(l.MatchIDs) {
				if u := str(r, "requestParameters.userName"); u != "" && u != str(r, "userIdentity.userName") {
					t.Errorf("%s: key created for %s by %s", l.ID, u, str(r, "userIdentity.userName"))
				}
			}
		}
	})
}

// TestBackgroundIsClean checks that outside the labelled records nothing
// looks like the attacks, so a perfect rule's false positives are zero.
func TestBackgroundIsClean(t *testing.T) {
	c := loadFixture(t)
	labelled := map[string]bool{}
	for _, l := range c.labels {
		for _, id := range l.EventIDs {
			labelled[id] = true
		}
	}
	keyIPs := map[string]map[string]bool{}
	sessionASNs := map[string]map[string]bool{}
	for id, r := range c.byID {
		if labelled[id] {
			continue
		}
		switch c.logOf[id] {
		case "cloudtrail":
			switch str(r, "eventName") {
			case "CreateUser", "AttachUserPolicy", "CreateLoginProfile", "GetFederationToken":
				t.Errorf("background %s %s", str(r, "eventName"), id)
			case "CreateAccessKey": // administrators rotate their own keys
				if u := str(r, "requestParameters.userName"); u != "" && u != str(r, "userIdentity.userName") {
					t.Errorf("background access key for %s created by %s (%s)", u, str(r, "userIdentity.userName"), id)
				}
			case "UpdateAssumeRolePolicy", "CreateRole": // Terraform trusts services only
				doc := str(r, "requestParameters.policyDocument") + str(r, "requestParameters.assumeRolePolicyDocument")
				if strings.Contains(doc, `"AWS"`) || strings.Contains(doc, attackerAccount) {
					t.Errorf("background %s trusting an account (%s): %s", str(r, "eventName"), id, doc)
				}
			case "AttachRolePolicy", "CreatePolicy", "CreatePolicyVersion", "PutRolePolicy":
				b, _ := json.Marshal(r["requestParameters"])
				if bytes.Contains(b, []byte("AdministratorAccess")) || bytes.Contains(b, []byte(`\"Action\":\"*\"`)) {
					t.Errorf("background %s granting everything (%s): %s", str(r, "eventName"), id, b)
				}
			}
			ip := str(r, "sourceIPAddress")
			if key := str(r, "userIdentity.accessKeyId"); strings.HasPrefix(key, "ASIA") && isIP(ip) {
				if keyIPs[key] == nil {
					keyIPs[key] = map[string]bool{}
				}
				keyIPs[key][ip] = true
			}
			if str(r, "userIdentity.sessionContext.ec2RoleDelivery") != "" && isIP(ip) && !isPrivate(ip) {
				t.Errorf("background instance credentials used from %s (%s)", ip, id)
			}
		case "signinlogs", "aadnoninteractiveusersigninlogs":
			s := str(r, "SessionId")
			if sessionASNs[s] == nil {
				sessionASNs[s] = map[string]bool{}
			}
			sessionASNs[s][str(r, "AutonomousSystemNumber")] = true
		case "gcp_activity":
			if str(r, "protoPayload.methodName") == "google.iam.admin.v1.CreateServiceAccountKey" {
				t.Errorf("background service-account key %s", id)
			}
		case "proxy":
			if strings.Contains(str(r, "c-uri"), "169.254") {
				t.Errorf("background metadata request %s", id)
			}
		case "buildlog":
			if m := str(r, "message"); secretLine.MatchString(m) {
				t.Errorf("background build log line %s holds a secret: %s", id, m)
			}
		}
	}
	for key, ips := range keyIPs {
		if len(ips) > 1 {
			t.Errorf("background key %s used from %d addresses", key, len(ips))
		}
	}
	for s, asns := range sessionASNs {
		if len(asns) > 1 {
			t.Errorf("background Entra session %s from %d autonomous systems", s, len(asns))
		}
	}
}

func TestRecordShapes(t *testing.T) {
	c := loadFixture(t)
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ctTimeRE := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	kinds := map[string]int{}
	for _, r := range c.ct {
		for _, k := range []string{"eventVersion", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "requestID", "eventType", "recipientAccountId", "eventCategory", "userIdentity.type"} {
			if str(r, k) == "" {
				t.Fatalf("CloudTrail record %s lacks %s", str(r, "eventID"), k)
			}
		}
		if !uuidRE.MatchString(str(r, "eventID")) || !ctTimeRE.MatchString(str(r, "eventTime")) {
			t.Fatalf("eventID %q, eventTime %q", str(r, "eventID"), str(r, "eventTime"))
		}
		for _, k := range []string{"readOnly", "managementEvent"} {
			if _, ok := get(r, k).(bool); !ok {
				t.Fatalf("%s is not a boolean in %s", k, str(r, "eventID"))
			}
		}
		if key := str(r, "userIdentity.accessKeyId"); key != "" && !regexp.MustCompile(`^A[SK]IA[A-Z2-7]{9}EXAMPLE$`).MatchString(key) {
			t.Fatalf("access key id %q", key)
		}
		kinds[str(r, "userIdentity.type")]++
		if str(r, "eventName") == "AssumeRole" || str(r, "eventName") == "AssumeRoleWithSAML" || str(r, "eventName") == "AssumeRoleWithWebIdentity" {
			if !strings.HasPrefix(str(r, "responseElements.credentials.sessionToken"), "IQoJb3JpZ2luX2Vj") || str(r, "responseElements.assumedRoleUser.arn") == "" {
				t.Fatalf("%s without credentials: %v", str(r, "eventName"), r["responseElements"])
			}
			if _, err := time.Parse(layoutSTSExpiry, str(r, "responseElements.credentials.expiration")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, k := range []string{"AssumedRole", "IAMUser", "AWSService", "AWSAccount", "SAMLUser", "WebIdentityUser"} {
		if kinds[k] == 0 {
			t.Errorf("no %s callers", k)
		}
	}
	entraCols := []string{"TimeGenerated", "UserPrincipalName", "UserId", "AppDisplayName", "AppId", "IPAddress", "AutonomousSystemNumber", "Location", "LocationDetails", "UserAgent", "ResultType", "ResultDescription", "ConditionalAccessStatus", "AuthenticationRequirement", "UniqueTokenIdentifier", "SessionId", "CorrelationId", "Id", "IsInteractive", "TokenIssuerType", "ResourceDisplayName", "ClientAppUsed", "DeviceDetail", "RiskLevelDuringSignIn", "IncomingTokenType", "Type"}
	gcpFields := []string{"logName", "timestamp", "insertId", "resource.type", "severity", "protoPayload.@type", "protoPayload.methodName", "protoPayload.serviceName", "protoPayload.resourceName", "protoPayload.requestMetadata.callerIp", "protoPayload.requestMetadata.callerSuppliedUserAgent"}
	for id, r := range c.byID {
		switch log := c.logOf[id]; log {
		case "signinlogs", "aadnoninteractiveusersigninlogs":
			for _, k := range entraCols {
				if _, ok := r[k]; !ok {
					t.Fatalf("%s row %s lacks %s", log, id, k)
				}
			}
			_, isObj := r["LocationDetails"].(map[string]any)
			if isObj != (log == "signinlogs") {
				t.Fatalf("%s LocationDetails is %T", log, r["LocationDetails"])
			}
		case "gcp_activity", "gcp_data_access":
			for _, k := range gcpFields {
				if str(r, k) == "" {
					t.Fatalf("GCP entry %s lacks %s", id, k)
				}
			}
			if get(r, "protoPayload.status") == nil || get(r, "resource.labels") == nil {
				t.Fatalf("GCP entry %s lacks status or resource labels", id)
			}
		}
	}
}

// TestCloudTrailFieldOrder reads one file token by token: the keys of a
// record come in CloudTrail's order.
func TestCloudTrailFieldOrder(t *testing.T) {
	c := loadFixture(t)
	var file string
	filepath.WalkDir(filepath.Join(c.dir, "AWSLogs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && file == "" {
			file = p
		}
		return nil
	})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	order := []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "managementEvent", "recipientAccountId", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory", "tlsDetails", "sessionCredentialFromConsole"}
	for _, raw := range f.Records {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.Token() // {
		last := -1
		for dec.More() {
			tok, _ := dec.Token()
			k := tok.(string)
			i := slices.Index(order, k)
			if i <= last {
				t.Fatalf("field %s out of CloudTrail's order in %s", k, raw)
			}
			last = i
			var skip json.RawMessage
			dec.Decode(&skip)
		}
	}
}

func TestCountsFollowOptions(t *testing.T) {
	var lastDir string
	run := func(opts Options) *Summary {
		t.Helper()
		opts.Out = t.TempDir()
		lastDir = opts.Out
		sum, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	none := []ScenarioSpec{}
	for _, events := range []int{3000, 12000} {
		sum := run(Options{Seed: 3, Duration: 12 * time.Hour, Events: events, EntraEvents: 900, GCPEvents: 700, ProxyEvents: 500, Scenarios: none})
		want := map[string]int{"cloudtrail": events, "gcp": 700, "entra": 900, "proxy": 500}
		got := map[string]int{"cloudtrail": sum.Records["cloudtrail"], "gcp": sum.Records["gcp_activity"] + sum.Records["gcp_data_access"],
			"entra": sum.Records["signinlogs"] + sum.Records["aadnoninteractiveusersigninlogs"], "proxy": sum.Records["proxy"]}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events %d: record counts (-want +got):\n%s", events, diff)
		}
		if len(sum.ScenarioRecords) != 0 || sum.Labels != 0 {
			t.Errorf("no scenarios asked, got %v and %d labels", sum.ScenarioRecords, sum.Labels)
		}
	}
	small := run(Options{Seed: 3, Duration: 6 * time.Hour, Events: 6000, Clouds: []string{"aws"}, Scenarios: none})
	big := run(Options{Seed: 3, Duration: 6 * time.Hour, Events: 60000, Clouds: []string{"aws"}, Scenarios: none})
	if big.Org.Humans <= small.Org.Humans || big.Org.Instances <= small.Org.Instances {
		t.Errorf("organisation did not grow with the rate: %+v vs %+v", small.Org, big.Org)
	}
	if small.Records["signinlogs"]+small.Records["proxy"] != 0 {
		t.Errorf("aws only, got %v", small.Records)
	}
	run(Options{Seed: 3, Duration: 12 * time.Hour, Events: 3000, Scenarios: []ScenarioSpec{{Name: "aws-persistence", Count: 2}, {Name: "entra-token-replay", Count: 3}}})
	ls, err := ReadLabels(filepath.Join(lastDir, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	perScenario := map[string]int{}
	for _, l := range ls {
		perScenario[l.Scenario]++
	}
	if diff := cmp.Diff(map[string]int{"aws-persistence": 10, "entra-token-replay": 3}, perScenario); diff != "" {
		t.Errorf("labels per scenario (-want +got):\n%s", diff)
	}
}

func TestScenarioTimes(t *testing.T) {
	at := DefaultStart().Add(5*time.Hour + 17*time.Minute)
	dir := t.TempDir()
	_, err := Run(context.Background(), Options{Seed: 1, Duration: 12 * time.Hour, Events: 3000, Out: dir, Scenarios: []ScenarioSpec{{Name: "aws-assume-role-secret-read", At: []time.Time{at}}}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := ReadLabels(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	rules := []string{}
	for _, l := range ls {
		rules = append(rules, l.Finding.Rule)
		if l.Finding.First.Before(at) || l.Finding.Last.After(at.Add(20*time.Minute)) {
			t.Errorf("asked for %s, %s spans %s to %s", at, l.Finding.Rule, l.Finding.First, l.Finding.Last)
		}
	}
	slices.Sort(rules)
	if diff := cmp.Diff([]string{famRoleNewSource, famIssuedThenRead}, rules); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestOptionErrors(t *testing.T) {
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)
	none := []ScenarioSpec{}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"too few events for the organisation", Options{Events: 100, Org: OrgSize{Humans: 500, Instances: 500}, Scenarios: none}, "exceed the 100 asked for"},
		{"unknown scenario", Options{Scenarios: []ScenarioSpec{{Name: "aws-nope"}}}, `unknown scenario "aws-nope"`},
		{"unknown cloud", Options{Clouds: []string{"azure"}}, `unknown cloud "azure"`},
		{"negative events", Options{Events: -1}, "events must not be negative"},
		{"too short for a scenario", Options{Duration: 30 * time.Minute, Scenarios: []ScenarioSpec{{Name: "aws-scope-expansion"}}}, "needs 1h0m0s of simulated time"},
		{"scenario time outside", Options{Scenarios: []ScenarioSpec{{Name: "aws-persistence", At: []time.Time{DefaultStart().Add(-time.Hour)}}}}, "outside the simulated time"},
		{"times and count disagree", Options{Scenarios: []ScenarioSpec{{Name: "aws-persistence", Count: 2, At: []time.Time{DefaultStart()}}}}, "1 times given for 2 injections"},
		{"folder not empty", Options{Out: foreign, Scenarios: none}, "is not empty"},
		{"force does not delete what is not ours", Options{Out: foreign, Force: true, Scenarios: none}, "refusing to replace it"},
		{"no output", Options{Out: "-"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Out == "" {
				tt.opts.Out = t.TempDir()
			}
			if tt.opts.Out == "-" {
				tt.opts.Out = ""
				tt.want = "no output folder"
			}
			if tt.opts.Events == 0 {
				tt.opts.Events = 2000
			}
			_, err := Run(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestForceReplacesPreviousRun(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Seed: 1, Duration: 2 * time.Hour, Events: 1000, Out: dir, Scenarios: []ScenarioSpec{}}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	first := hashDir(t, dir)
	opts.Seed, opts.Force = 2, true
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	second := hashDir(t, dir)
	for f := range first {
		if _, ok := second[f]; !ok {
			continue
		}
		if strings.HasPrefix(f, "AWSLogs/") {
			t.Errorf("%s of the first run survived", f)
		}
	}
	if len(second) == 0 {
		t.Error("the second run wrote nothing")
	}
}

func TestParseScenario(t *testing.T) {
	start := DefaultStart()
	tests := []struct {
		in   string
		want []ScenarioSpec
		err  string
	}{
		{in: "aws-persistence", want: []ScenarioSpec{{Name: "aws-persistence", Count: 1}}},
		{in: "aws-persistence:3", want: []ScenarioSpec{{Name: "aws-persistence", Count: 3}}},
		{in: "aws-persistence@36h,2026-11-03T04:00:00Z", want: []ScenarioSpec{{Name: "aws-persistence", Count: 2, At: []time.Time{start.Add(36 * time.Hour), time.Date(2026, 11, 3, 4, 0, 0, 0, time.UTC)}}}},
		{in: "aws-persistence@1d2h", want: []ScenarioSpec{{Name: "aws-persistence", Count: 1, At: []time.Time{start.Add(26 * time.Hour)}}}},
		{in: "none", want: []ScenarioSpec{}},
		{in: "aws-persistence:0", err: "not a positive number"},
		{in: "aws-persistence@yesterday", err: "neither RFC 3339 nor an offset"},
		{in: "all@1h", err: "cannot take times"},
		{in: "aws-nope", err: "unknown scenario"},
	}
	for _, tt := range tests {
		got, err := ParseScenario(tt.in, start)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %v, want error %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
	}
	benign, _ := ParseScenario("benign:2", start)
	attacks, _ := ParseScenario("attacks", start)
	if len(benign)+len(attacks) != len(scenarioDefs) || benign[0].Count != 2 {
		t.Errorf("groups: %d benign (count %d), %d attacks, of %d", len(benign), benign[0].Count, len(attacks), len(scenarioDefs))
	}
	for _, s := range benign {
		if !strings.HasPrefix(s.Name, "benign-") {
			t.Errorf("benign group holds %s", s.Name)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := map[string]time.Duration{"30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "24h": 24 * time.Hour}
	for in, want := range tests {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: got %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "3x", "-1d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFakeSecretsAreRedacted(t *testing.T) {
	r := derive(1, 2)
	for _, s := range []string{accessKeyID(r, "ASIA"), accessKeyID(r, "AKIA"), sessionToken(r), googleAccessToken(r), fakeJWT(r, "tenant", "a@b.c"), "aws_secret_access_key=" + secretAccessKey(r)} {
		if !strings.Contains(s, "EXAMPLE") && !strings.HasPrefix(s, "eyJ") {
			t.Errorf("%s does not say it is fake", s)
		}
		if got := redact.String("value " + s + " end"); strings.Contains(got, s) {
			t.Errorf("redact leaves %s: %s", s, got)
		}
	}
}

// BenchmarkSimulateCloudTrail measures CloudTrail generation end to end,
// files written, in records per second.
func BenchmarkSimulateCloudTrail(b *testing.B) {
	const events = 200000
	for b.Loop() {
		dir, err := os.MkdirTemp("", "simulate-bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Run(context.Background(), Options{Seed: 1, Duration: 24 * time.Hour, Events: events, Clouds: []string{"aws"}, Scenarios: []ScenarioSpec{}, Out: dir}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
