package simulate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Routine IAM changes of the background: administrators rotating their own
// access keys about monthly, and the Terraform deploy pipelines changing
// the organisation's own roles and policies several times a week. They
// make the benign look-alikes (an administrator rotating a key, a large
// Terraform apply) what they are in a real organisation: the same identity
// doing again what it did last month.

// keyRotationPeriod is how often an administrator rotates their IAM user's
// access key, in days: four weeks, so any 30 days hold a rotation.
const keyRotationPeriod = 28

// rotationSlot is the administrator's rotation day modulo the period: a
// Tuesday, Wednesday or Thursday, in a week chosen by the seed.
func (p *planner) rotationSlot(h *human) int64 {
	x := hashParts(p.seed, tagPlan, 12, uint64(h.idx))
	wd := int64(2 + x%3)       // Tuesday..Thursday
	week := int64((x / 3) % 4) // which week of the four
	return week*7 + (wd-4+7)%7 // weekday(d) = (d+4) mod 7
}

// rotationDue reports whether day d is h's key rotation day, and which
// rotation (its number since the epoch) it is.
func (p *planner) rotationDue(h *human, d int64) (int64, bool) {
	if h.iam == nil {
		return 0, false
	}
	slot := p.rotationSlot(h)
	if ((d-slot)%keyRotationPeriod+keyRotationPeriod)%keyRotationPeriod != 0 {
		return 0, false
	}
	return floorDiv(d-slot, keyRotationPeriod), true
}

// rotationKey is the access key id created by rotation k of h's key. The
// key the simulated administrator signs with stays h.iam.key (scenarios and
// labels name it); the rotated key is the user's second key, as the two
// a user may hold.
func (p *planner) rotationKey(h *human, k int64) string {
	return accessKeyID(derive(p.seed, tagPlan, 13, uint64(h.idx), uint64(k)), "AKIA")
}

// keyRotation plans rotation k of h's access key on a working day from
// dayStart to dayEnd (unix seconds) from ip: list the keys, delete the
// key deactivated last time, create a new one, deactivate the previous.
func (p *planner) keyRotation(r *rand.Rand, h *human, k int64, dayStart, dayEnd float64, ip string, net *network) *session {
	u := h.iam
	t0 := dayStart + r.Float64()*math.Max(600, dayEnd-dayStart-1800)
	cred := &awsCred{key: u.key, acct: u.acct, userName: u.name, arn: u.arn, ident: identIAMUser(u, u.key, time.Time{}, false)}
	s := &session{kind: skIAMUser, cloud: cAWS, seed: r.Uint64(), start: at(t0), h: h, acct: u.acct, region: u.acct.regions[0], ip: ip, net: net, ua: h.cliUA, cred: cred, prof: p.cat.profiles["admin"]}
	t := at(t0)
	add := func(op string, req, resp []byte) {
		s.steps = append(s.steps, step{t: t, cloud: cAWS, kind: stAWSCall, op: p.cat.short(op), ua: h.cliUA, req: req, resp: resp})
		t = t.Add(secs(r, 5, 90))
	}
	self := jsonObj(func(w *jw) { w.kstr("userName", u.name) })
	keyReq := func(key, status string) []byte {
		return jsonObj(func(w *jw) {
			w.kstr("userName", u.name)
			w.kstr("accessKeyId", key)
			if status != "" {
				w.kstr("status", status)
			}
		})
	}
	add("iam:ListAccessKeys", self, nil)
	add("iam:DeleteAccessKey", keyReq(p.rotationKey(h, k-2), ""), nil)
	created := t.Truncate(time.Second)
	var req []byte
	if chance(r, 0.5) {
		req = self
	} // else no userName: the call acts on the caller
	add("iam:CreateAccessKey", req, jsonObj(func(w *jw) {
		w.key("accessKey")
		w.open()
		w.kstr("accessKeyId", p.rotationKey(h, k))
		w.kstr("createDate", created.UTC().Format(layoutIAMDate))
		w.kstr("status", "Active")
		w.kstr("userName", u.name)
		w.close()
	}))
	t = t.Add(secs(r, 60, 400)) // the new key goes into the tool that uses it
	add("iam:UpdateAccessKey", keyReq(p.rotationKey(h, k-1), "Inactive"), nil)
	s.end = t
	return s
}

// Terraform's IAM changes: in each terraform-apply job of the background
// every change below happens with its chance, on the account's own roles
// and policies, never granting more than the application needs.
var terraformIAMChances = []struct {
	op     string
	chance float64
}{
	{"iam:CreatePolicy", 0.2},
	{"iam:CreateRole", 0.2},
	{"iam:CreatePolicyVersion", 0.3},
	{"iam:PutRolePolicy", 0.3},
	{"iam:AttachRolePolicy", 0.3},
	{"iam:TagRole", 0.35},
	{"iam:UpdateAssumeRolePolicy", 0.15},
}

// iamChange is one planned IAM write of a Terraform apply.
type iamChange struct {
	op   string
	req  []byte                   // nil: the operation's default parameters
	resp func(t time.Time) []byte // the response of the call made at t; nil: none
}

// terraformIAM draws the IAM changes of one background terraform-apply job
// of rp.
func terraformIAM(r *rand.Rand, rp *repo) []iamChange {
	a := rp.acct
	app := strings.TrimPrefix(rp.name, ghOrg+"/")
	policy := "arn:aws:iam::" + a.id + ":policy/" + app + "-app"
	bucket := pick(r, a.buckets)
	var out []iamChange
	for _, c := range terraformIAMChances {
		if !chance(r, c.chance) {
			continue
		}
		ch := iamChange{op: c.op}
		switch c.op {
		case "iam:CreatePolicy":
			name := app + "-" + pick(r, []string{"queue", "cache", "reports", "events", "exports"}) + "-" + randChars(r, lowerAlnum, 4)
			doc := policyDoc(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::` + bucket + `/*"}`)
			ch.req = jsonObj(func(w *jw) {
				w.kstr("policyName", name)
				w.kstr("policyDocument", doc)
			})
			id := uniqueID(r, "ANPA")
			ch.resp = func(t time.Time) []byte {
				return jsonObj(func(w *jw) {
					w.key("policy")
					w.open()
					w.kstr("policyName", name)
					w.kstr("policyId", id)
					w.kstr("arn", "arn:aws:iam::"+a.id+":policy/"+name)
					w.kstr("path", "/")
					w.kstr("defaultVersionId", "v1")
					w.kint("attachmentCount", 0)
					w.kbool("isAttachable", true)
					w.kstr("createDate", t.UTC().Format(layoutIAMDate))
					w.close()
				})
			}
		case "iam:CreateRole":
			name := a.name + "-" + app + "-" + randChars(r, lowerAlnum, 6) + "-lambda"
			ch.req = jsonObj(func(w *jw) {
				w.kstr("roleName", name)
				w.kstr("assumeRolePolicyDocument", policyDoc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`))
			})
			id := uniqueID(r, "AROA")
			ch.resp = func(t time.Time) []byte {
				return jsonObj(func(w *jw) {
					w.key("role")
					w.open()
					w.kstr("path", "/")
					w.kstr("roleName", name)
					w.kstr("roleId", id)
					w.kstr("arn", "arn:aws:iam::"+a.id+":role/"+name)
					w.kstr("createDate", t.UTC().Format(layoutIAMDate))
					w.close()
				})
			}
		case "iam:CreatePolicyVersion":
			ch.req = jsonObj(func(w *jw) {
				w.kstr("policyArn", policy)
				w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::`+bucket+`","arn:aws:s3:::`+bucket+`/*"]}`))
				w.kbool("setAsDefault", true)
			})
			version := "v" + strconv.Itoa(2+r.IntN(4))
			ch.resp = func(t time.Time) []byte {
				return jsonObj(func(w *jw) {
					w.key("policyVersion")
					w.open()
					w.kstr("versionId", version)
					w.kbool("isDefaultVersion", true)
					w.kstr("createDate", t.UTC().Format(layoutIAMDate))
					w.close()
				})
			}
		case "iam:AttachRolePolicy":
			role := pick(r, a.workloads)
			arn := pick(r, []string{policy, policy, "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})
			ch.req = jsonObj(func(w *jw) {
				w.kstr("roleName", role.name)
				w.kstr("policyArn", arn)
			})
		case "iam:UpdateAssumeRolePolicy":
			role := pick(r, a.workloads)
			ch.req = jsonObj(func(w *jw) {
				w.kstr("roleName", role.name)
				w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}`))
			})
		}
		out = append(out, ch)
	}
	return out
}

// jsonObj returns the JSON object f writes.
func jsonObj(f func(w *jw)) []byte {
	var w jw
	w.open()
	f(&w)
	w.close()
	return w.b
}
