package simulate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// routineCall is one scripted IAM write of the background.
type routineCall struct {
	t    time.Time
	name string
	req  map[string]any
	resp map[string]any
}

// routineIAM plans days [d0, d1) of an organisation and returns its
// scripted IAM writes: by administrator (upn) and by deploy role (ARN).
func routineIAM(t *testing.T, seed uint64, size OrgSize, d0, d1 int64) (admins, roles map[string][]routineCall, o *org) {
	t.Helper()
	o = buildOrg(seed, size)
	p := &planner{seed: seed, org: o, cat: newAWSCatalog(), gcat: newGCPCatalog()}
	admins, roles = map[string][]routineCall{}, map[string][]routineCall{}
	decode := func(b []byte) map[string]any {
		if b == nil {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return m
	}
	for d := d0; d < d1; d++ {
		for _, s := range p.plan(d, false).sessions {
			for _, st := range s.steps {
				if st.kind != stAWSCall || st.op.source != "iam.amazonaws.com" || st.op.readOnly {
					continue
				}
				c := routineCall{t: st.t, name: st.op.name, req: decode(st.req), resp: decode(st.resp)}
				switch s.kind {
				case skIAMUser:
					admins[s.h.upn] = append(admins[s.h.upn], c)
				case skCIJob:
					roles[s.cred.role.arn] = append(roles[s.cred.role.arn], c)
				}
			}
		}
	}
	return admins, roles, o
}

func TestAdministratorsRotateTheirKeysMonthly(t *testing.T) {
	d0 := unixDay(DefaultStart())
	admins, _, o := routineIAM(t, 7, deriveSize(OrgSize{Humans: 40}, 28), d0, d0+120)
	n := 0
	for _, h := range o.humans {
		if h.iam == nil {
			continue
		}
		n++
		calls := admins[h.upn]
		var created []time.Time
		var keys []string
		for i, c := range calls {
			if c.name != "CreateAccessKey" {
				continue
			}
			created = append(created, c.t)
			if u, ok := c.req["userName"]; ok && u != h.iam.name {
				t.Errorf("%s: CreateAccessKey for %v", h.upn, u)
			}
			key, _ := c.resp["accessKey"].(map[string]any)
			keys = append(keys, key["accessKeyId"].(string))
			// The rotation: delete the key deactivated last time before
			// creating, deactivate the previous one after.
			if i == 0 || i+1 >= len(calls) || calls[i-1].name != "DeleteAccessKey" || calls[i+1].name != "UpdateAccessKey" {
				t.Fatalf("%s: CreateAccessKey at %s not between a DeleteAccessKey and an UpdateAccessKey", h.upn, c.t)
			}
			if len(keys) >= 2 && calls[i+1].req["accessKeyId"] != keys[len(keys)-2] {
				t.Errorf("%s: deactivated %v, want the previous key %s", h.upn, calls[i+1].req["accessKeyId"], keys[len(keys)-2])
			}
			if len(keys) >= 3 && calls[i-1].req["accessKeyId"] != keys[len(keys)-3] {
				t.Errorf("%s: deleted %v, want the key deactivated last time %s", h.upn, calls[i-1].req["accessKeyId"], keys[len(keys)-3])
			}
			if wd := c.t.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Errorf("%s: rotation on a %s", h.upn, wd)
			}
		}
		if len(created) < 4 {
			t.Errorf("%s: %d rotations in 120 days, want 4 or more", h.upn, len(created))
		}
		for i := 1; i < len(created); i++ {
			if gap := created[i].Sub(created[i-1]); gap < 26*24*time.Hour || gap > 30*24*time.Hour {
				t.Errorf("%s: %s between rotations, want about four weeks (never more than the new-terms lookback of 30 days)", h.upn, gap)
			}
		}
		if len(slices.Compact(slices.Clone(keys))) != len(keys) {
			t.Errorf("%s: a key id created twice: %v", h.upn, keys)
		}
	}
	if n == 0 {
		t.Fatal("no administrators with IAM users")
	}
}

// TestDeployRolesChangeIAMEveryMonth checks that in every 30 days each
// Terraform deploy role makes every IAM write the benign Terraform
// look-alike makes, so that a month of history holds them, for several
// seeds and the smallest organisation.
func TestDeployRolesChangeIAMEveryMonth(t *testing.T) {
	want := []string{"CreatePolicy", "CreatePolicyVersion", "CreateRole", "AttachRolePolicy", "PutRolePolicy", "TagRole"}
	d0 := unixDay(DefaultStart())
	for _, seed := range []uint64{1, 7, 11, 42} {
		_, roles, o := routineIAM(t, seed, deriveSize(OrgSize{}, 28), d0, d0+90)
		tf := 0
		for _, a := range o.accounts {
			terraform := slices.ContainsFunc(o.repos, func(rp *repo) bool { return rp.terraform && rp.acct == a })
			calls := roles[a.ciRole.arn]
			if !terraform {
				if len(calls) > 0 {
					t.Errorf("seed %d: %s has no Terraform repository but makes %d IAM writes", seed, a.ciRole.arn, len(calls))
				}
				continue
			}
			tf++
			for day := int64(30); day < 90; day++ {
				end := time.Unix((d0+day)*86400, 0).UTC()
				seen := map[string]bool{}
				for _, c := range calls {
					if c.t.Before(end) && !c.t.Before(end.Add(-30*24*time.Hour)) {
						seen[c.name] = true
					}
				}
				for _, n := range want {
					if !seen[n] {
						t.Errorf("seed %d: %s made no %s in the 30 days before %s", seed, a.ciRole.arn, n, end.Format(time.DateOnly))
					}
				}
			}
			for _, c := range calls {
				b, _ := json.Marshal(c.req)
				for _, bad := range []string{"AdministratorAccess", attackerAccount, `\"AWS\"`, `\"Action\":\"*\"`} {
					if strings.Contains(string(b), bad) {
						t.Errorf("seed %d: %s %s carries %s: %s", seed, a.ciRole.arn, c.name, bad, b)
					}
				}
			}
		}
		if tf == 0 {
			t.Errorf("seed %d: no account with a Terraform repository", seed)
		}
	}
}
