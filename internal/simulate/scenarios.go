package simulate

import (
	"math/rand/v2"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Label is the ground truth for one finding of one injected scenario: the
// records involved and what a perfect detector of the rule family would
// report. Benign look-alikes carry Benign: a good rule of the family must
// not fire on their records.
type Label struct {
	// ID names the scenario injection (name#n); a scenario with several
	// findings has one label per finding, all with the same ID.
	ID          string  `json:"id"`
	Scenario    string  `json:"scenario"`
	Cloud       string  `json:"cloud"`
	Benign      bool    `json:"benign"`
	Description string  `json:"description"`
	Finding     Finding `json:"finding"`
	Entity      Entity  `json:"entity"`
	// EventIDs are every record of the story (issuance, the victim's own
	// use, the attacker's); MatchIDs the records a detector of the family
	// should flag (for a benign label: the records a naive one would).
	// Ids are CloudTrail eventID, Entra Id, GCP insertId, and the id field
	// of proxy and CI build-log lines.
	EventIDs []string `json:"event_ids"`
	MatchIDs []string `json:"match_ids"`
}

// Finding is what a perfect detector raises.
type Finding struct {
	Rule  string    `json:"rule"` // rule family, e.g. aws.session_token_replay
	Log   string    `json:"log"`  // cloudtrail, signinlogs, aadnoninteractiveusersigninlogs, gcp_activity, gcp_data_access, proxy, buildlog
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// Entity is who and what the finding is about.
type Entity struct {
	Account        string   `json:"account,omitempty"`
	Project        string   `json:"project,omitempty"`
	Principal      string   `json:"principal,omitempty"`
	Role           string   `json:"role,omitempty"`
	User           string   `json:"user,omitempty"`
	AccessKeyID    string   `json:"access_key_id,omitempty"`
	ParentKeyID    string   `json:"parent_key_id,omitempty"`
	TokenID        string   `json:"token_id,omitempty"`
	SessionID      string   `json:"session_id,omitempty"`
	ServiceAccount string   `json:"service_account,omitempty"`
	KeyID          string   `json:"key_id,omitempty"`
	Instance       string   `json:"instance,omitempty"`
	Repository     string   `json:"repository,omitempty"`
	File           string   `json:"file,omitempty"`
	Lines          []int    `json:"lines,omitempty"`
	SourceIPs      []string `json:"source_ips,omitempty"`
	ASNs           []int    `json:"asns,omitempty"`
}

// ScenarioInfo describes an injectable scenario.
type ScenarioInfo struct {
	Name        string
	Cloud       string
	Benign      bool
	Description string
}

type scenarioDef struct {
	name   string
	cloud  string
	benign bool
	desc   string
	needs  []cloud
	lead   time.Duration // records start this long before the anchor time
	span   time.Duration // and end at most this long after it
	build  func(b *sb) error
}

var scenarioDefs = []*scenarioDef{
	{name: "aws-instance-credentials-exfil", cloud: "aws", needs: []cloud{cAWS}, lead: 45 * time.Minute, span: 30 * time.Minute, build: buildInstanceExfil,
		desc: "EC2 instance-profile credentials used from an address outside the organisation while the instance keeps using them"},
	{name: "aws-session-token-replay", cloud: "aws", needs: []cloud{cAWS}, lead: 65 * time.Minute, span: 35 * time.Minute, build: buildTokenReplay,
		desc: "one temporary access key (ASIA…) of a person's federated session used from the person's network and an attacker's within its lifetime"},
	{name: "aws-assume-role-secret-read", cloud: "aws", needs: []cloud{cAWS}, span: 20 * time.Minute, build: buildAssumeSecretRead,
		desc: "a stolen IAM user key assumes an administrative role, and the issued key reads secrets, SecureString parameters and KMS-decrypts within minutes"},
	{name: "aws-scope-expansion", cloud: "aws", needs: []cloud{cAWS}, span: 60 * time.Minute, build: buildScopeExpansion,
		desc: "right after AssumeRole the issued key makes many distinct IAM, KMS, Organizations and security-group writes within the hour"},
	{name: "aws-persistence", cloud: "aws", needs: []cloud{cAWS}, span: 20 * time.Minute, build: buildPersistence,
		desc: "a stolen admin key creates a user with AdministratorAccess, access keys and a console password for other users, and opens a role's trust to a foreign account"},
	{name: "entra-token-replay", cloud: "entra", needs: []cloud{cEntra}, lead: 35 * time.Minute, span: 30 * time.Minute, build: buildEntraReplay,
		desc: "a user's sign-in session (SessionId, UniqueTokenIdentifier) replayed from another autonomous system"},
	{name: "entra-refresh-token-new-network", cloud: "entra", needs: []cloud{cEntra}, lead: 130 * time.Minute, span: 15 * time.Minute, build: buildEntraRefresh,
		desc: "a user's refresh token redeemed from an autonomous system the user has never signed in from"},
	{name: "gcp-sa-key-token-mint", cloud: "gcp", needs: []cloud{cGCP}, span: 30 * time.Minute, build: buildGCPKeyMint,
		desc: "a service-account key created by a stolen user session, used from outside to mint a token for a privileged service account, which then reads secrets and objects"},
	{name: "ci-token-leak", cloud: "ci", needs: []cloud{cCI, cAWS}, span: 75 * time.Minute, build: buildCILeak,
		desc: "a CI job prints its temporary AWS credentials (or an OAuth token or JWT) into the build log; the AWS key is then used from outside"},
	{name: "metadata-ssrf", cloud: "proxy", needs: []cloud{cProxy, cAWS}, lead: 50 * time.Minute, span: 30 * time.Minute, build: buildSSRF,
		desc: "an SSRF through the web shop's link-preview endpoint reads the instance-metadata credentials, which are then used from outside"},
	{name: "benign-vpn-switch", cloud: "aws", benign: true, needs: []cloud{cAWS}, lead: time.Minute, span: 75 * time.Minute, build: buildBenignVPN,
		desc: "a person on the corporate VPN reconnects and gets another egress address of the same network mid-session"},
	{name: "benign-ci-many-runners", cloud: "aws", benign: true, needs: []cloud{cAWS, cCI}, span: 70 * time.Minute, build: buildBenignCIMany,
		desc: "a matrix build: dozens of CI jobs assume the deploy role from dozens of hosted runners within the hour"},
	{name: "benign-terraform-apply", cloud: "aws", benign: true, needs: []cloud{cAWS, cCI}, span: 45 * time.Minute, build: buildBenignTerraform,
		desc: "a large Terraform apply from CI makes many distinct IAM, KMS and EC2 writes within the hour"},
	{name: "benign-admin-own-access-key", cloud: "aws", benign: true, needs: []cloud{cAWS}, span: 10 * time.Minute, build: buildBenignOwnKey,
		desc: "an administrator rotates their own access key from their usual network"},
}

// Scenarios lists the injectable scenarios.
func Scenarios() []ScenarioInfo {
	var out []ScenarioInfo
	for _, d := range scenarioDefs {
		out = append(out, ScenarioInfo{Name: d.name, Cloud: d.cloud, Benign: d.benign, Description: d.desc})
	}
	return out
}

// ScenarioNames lists the scenario names.
func ScenarioNames() []string {
	var out []string
	for _, d := range scenarioDefs {
		out = append(out, d.name)
	}
	return out
}

func findScenario(name string) *scenarioDef {
	for _, d := range scenarioDefs {
		if d.name == name {
			return d
		}
	}
	return nil
}

// Rule families of the labels.
const (
	famInstanceOutside   = "aws.instance_credentials_outside"
	famSessionReplay     = "aws.session_token_replay"
	famIssuedThenRead    = "aws.token_issued_then_sensitive_read"
	famScopeExpansion    = "aws.rapid_scope_expansion"
	famRoleNewSource     = "aws.role_assumed_from_new_source"
	famUserCreated       = "aws.persistence.user_created"
	famAdminPolicy       = "aws.persistence.admin_policy_attached"
	famKeyForOther       = "aws.persistence.access_key_for_other_user"
	famLoginProfileOther = "aws.persistence.login_profile_for_other_user"
	famTrustOpened       = "aws.persistence.trust_policy_opened"
	famEntraReplay       = "entra.token_replay_across_asn"
	famEntraRefreshNew   = "entra.refresh_token_new_network"
	famGCPKeyCreated     = "gcp.sa_key_created"
	famGCPMintThenUse    = "gcp.token_minted_then_used"
	famGCPSAOutside      = "gcp.sa_used_outside_google"
	famCILeak            = "cicd.token_in_build_log"
	famMetadataRequest   = "proxy.metadata_credential_request"
)

// sb builds one scenario injection.
type sb struct {
	g      *gen
	r      *rand.Rand
	at     time.Time
	id     string
	def    *scenarioDef
	n      int // injection number, from 1
	recs   []rec
	labels []Label
	used   map[any]bool
}

type attacker struct {
	net *network
	ip  string
	ua  string
}

func (b *sb) attacker() attacker {
	nets := networksOf(netAttacker)
	n := nets[b.r.IntN(len(nets))]
	a := attacker{net: n, ip: n.addr(b.r, chance(b.r, 0.15))}
	switch b.r.IntN(3) {
	case 0:
		a.ua = "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.11.2-amd64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/distrib#kali.2024 md/prompt#off"
	case 1:
		a.ua = "Boto3/1.35.24 md/Botocore#1.35.24 ua/2.0 os/linux#6.11.2-amd64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.24"
	default:
		a.ua = "aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.2"
	}
	return a
}

// entraAttacker picks an attacker network no earlier injection signed the
// person in from, so that "never seen for the user" stays true.
func (b *sb) entraAttacker(h *human) attacker {
	type seen struct {
		h   *human
		asn int
	}
	a := b.attacker()
	for i := 0; i < 32 && b.used[seen{h, a.net.asn}]; i++ {
		a = b.attacker()
	}
	b.used[seen{h, a.net.asn}] = true
	return a
}

func (b *sb) add(r rec) rec { b.recs = append(b.recs, r); return r }

func (b *sb) ct(e *ctEvent) *ctEvent { b.add(rec{t: e.t, ct: e}); return e }

// call makes a CloudTrail API call by cred (default request parameters
// unless req is given).
func (b *sb) call(cred *awsCred, op string, t time.Time, ip, ua string, req, resp []byte) *ctEvent {
	c := &callCtx{r: b.r, acct: cred.acct, region: cred.acct.regions[0], cred: cred}
	o := b.g.cat.short(op)
	e := c.call(o, t, ip, ua, 0)
	if req != nil {
		e.req = req
	}
	if resp != nil {
		e.resp = resp
	}
	return b.ct(e)
}

// callF is call plus the calls services make on the caller's behalf
// (KMS behind Secrets Manager and SSM).
func (b *sb) callF(cred *awsCred, op string, t time.Time, ip, ua string) []*ctEvent {
	c := &callCtx{r: b.r, acct: cred.acct, region: cred.acct.regions[0], cred: cred}
	o := b.g.cat.short(op)
	e := c.call(o, t, ip, ua, 0)
	if o.follow == followKMSSSM {
		c.decrypt = true
	}
	out := []*ctEvent{b.ct(e)}
	for _, f := range c.followUps(b.g.cat, o, e) {
		out = append(out, b.ct(f))
	}
	return out
}

func (b *sb) deny(e *ctEvent) {
	o := b.g.cat.op(e.source, e.name)
	res := "*"
	if o.service() == "iam" {
		res = "arn:aws:iam::" + e.recipient + ":*"
	}
	o.denied(e, arnOf(e), res)
}

// arnOf reads the caller ARN back from a record's identity.
func arnOf(e *ctEvent) string {
	s := string(e.ident)
	i := strings.Index(s, `"arn":"`)
	if i < 0 {
		return "unknown"
	}
	s = s[i+7:]
	return s[:strings.IndexByte(s, '"')]
}

type refs struct {
	ids   []string
	first time.Time
	last  time.Time
}

func (f *refs) add(id string, t time.Time) {
	f.ids = append(f.ids, id)
	if f.first.IsZero() || t.Before(f.first) {
		f.first = t
	}
	if t.After(f.last) {
		f.last = t
	}
}

func ctRefs(es ...[]*ctEvent) *refs {
	f := &refs{}
	for _, l := range es {
		for _, e := range l {
			f.add(e.eventID, e.t)
		}
	}
	return f
}

func (b *sb) label(rule, log string, ent Entity, events, match *refs) {
	b.labels = append(b.labels, Label{ID: b.id, Scenario: b.def.name, Cloud: b.def.cloud, Benign: b.def.benign, Description: b.def.desc,
		Finding: Finding{Rule: rule, Log: log, First: match.first, Last: match.last}, Entity: ent, EventIDs: events.ids, MatchIDs: match.ids})
}

// pickHuman picks a person satisfying ok, preferring one no earlier
// injection used.
func (b *sb) pickHuman(ok func(h *human) bool) *human {
	var fresh, any []*human
	for _, h := range b.g.org.humans {
		if ok != nil && !ok(h) {
			continue
		}
		any = append(any, h)
		if !b.used[h] {
			fresh = append(fresh, h)
		}
	}
	if len(fresh) > 0 {
		h := pick(b.r, fresh)
		b.used[h] = true
		return h
	}
	if len(any) > 0 {
		return pick(b.r, any)
	}
	return nil
}

func (b *sb) pickInstance(ok func(in *instance) bool) *instance {
	var fresh, any []*instance
	for _, in := range b.g.org.instances {
		if ok != nil && !ok(in) {
			continue
		}
		any = append(any, in)
		if !b.used[in] {
			fresh = append(fresh, in)
		}
	}
	if len(fresh) > 0 {
		in := pick(b.r, fresh)
		b.used[in] = true
		return in
	}
	if len(any) > 0 {
		return pick(b.r, any)
	}
	return nil
}

func secs(r *rand.Rand, lo, hi int) time.Duration {
	return time.Duration(lo*1000+r.IntN((hi-lo)*1000+1)) * time.Millisecond
}

// instanceCred issues fresh instance-profile credentials.
func (b *sb) instanceCred(in *instance, issued time.Time) *awsCred {
	cred := &awsCred{key: accessKeyID(b.r, "ASIA"), token: sessionToken(b.r), issued: issued, expires: issued.Add(6 * time.Hour), role: in.role, sessionName: in.id, acct: in.acct}
	delivery := "2.0"
	if in.idx%7 == 0 || in.web {
		delivery = "1.0"
	}
	cred.ident = identAssumedRole(in.role, in.id, cred.key, issued, false, delivery, "")
	cred.arn = "arn:aws:sts::" + in.acct.id + ":assumed-role/" + in.role.name + "/" + in.id
	return cred
}

func (b *sb) ssoCred(h *human, a *account, issued time.Time, dur time.Duration) *awsCred {
	rl := h.ssoRoleFor(a)
	cred := &awsCred{key: accessKeyID(b.r, "ASIA"), token: sessionToken(b.r), issued: issued, expires: issued.Add(dur), role: rl, sessionName: h.upn, acct: a}
	cred.ident = identAssumedRole(rl, h.upn, cred.key, issued, false, "", "")
	cred.arn = "arn:aws:sts::" + a.id + ":assumed-role/" + rl.name + "/" + h.upn
	return cred
}

func (b *sb) roleCred(rl *role, sessName string, issued time.Time) *awsCred {
	cred := &awsCred{key: accessKeyID(b.r, "ASIA"), token: sessionToken(b.r), issued: issued, expires: issued.Add(time.Hour), role: rl, sessionName: sessName, acct: rl.acct}
	cred.ident = identAssumedRole(rl, sessName, cred.key, issued, false, "", "")
	cred.arn = "arn:aws:sts::" + rl.acct.id + ":assumed-role/" + rl.name + "/" + sessName
	return cred
}

func userCred(u *iamUser) *awsCred {
	return &awsCred{key: u.key, acct: u.acct, userName: u.name, arn: u.arn, ident: identIAMUser(u, u.key, time.Time{}, false)}
}

// stealInstance: the instance keeps working with fresh credentials while
// an attacker uses them from outside.
func (b *sb) stealInstance(in *instance, steal time.Time, atk attacker) {
	issued := steal.Add(-time.Duration(12+b.r.IntN(25)) * time.Minute)
	cred := b.instanceCred(in, issued)
	story := ctRefs([]*ctEvent{b.ct(evAssumeEC2(b.r, cred, in.region))})
	for i, op := range []string{"ssm:UpdateInstanceInformation", "s3:GetObject", "dynamodb:GetItem", "s3:PutObject"} {
		e := b.call(cred, op, issued.Add(time.Duration(2+i*3)*time.Minute+secs(b.r, 0, 60)), in.ip, in.ua, nil, nil)
		e.vpce, e.vpceAcct = in.acct.vpce, in.acct.id
		story.add(e.eventID, e.t)
	}
	match := &refs{}
	t := steal.Add(secs(b.r, 30, 150))
	for _, op := range []string{"sts:GetCallerIdentity", "s3:ListBuckets", "s3:ListObjects", "s3:GetObject", "s3:GetObject", "secretsmanager:ListSecrets", "secretsmanager:GetSecretValue", "ec2:DescribeInstances"} {
		for j, e := range b.callF(cred, op, t, atk.ip, atk.ua) {
			story.add(e.eventID, e.t)
			if j == 0 {
				match.add(e.eventID, e.t)
			}
		}
		t = t.Add(secs(b.r, 5, 90))
	}
	ent := Entity{Account: in.acct.id, Principal: cred.arn, Role: in.role.arn, AccessKeyID: cred.key, Instance: in.id, SourceIPs: []string{in.ip, atk.ip}, ASNs: []int{atk.net.asn}}
	b.label(famInstanceOutside, "cloudtrail", ent, story, match)
	// The same key from the instance and from outside is a replay too.
	b.label(famSessionReplay, "cloudtrail", ent, story, match)
}

func buildInstanceExfil(b *sb) error {
	in := b.pickInstance(nil)
	if in == nil {
		return errorf("no instances in the organisation")
	}
	b.stealInstance(in, b.at, b.attacker())
	return nil
}

func humanWithAWS(h *human) bool { return len(h.accounts) > 0 && h.kind != kindReadOnly }

func buildTokenReplay(b *sb) error {
	h := b.pickHuman(humanWithAWS)
	if h == nil {
		return errorf("no people with AWS access")
	}
	a := h.accounts[0]
	issued := b.at.Add(-time.Duration(40+b.r.IntN(20)) * time.Minute)
	cred := b.ssoCred(h, a, issued, 4*time.Hour)
	story := ctRefs([]*ctEvent{b.ct(evAssumeSAML(b.r, b.g.org, h, cred, h.homeIP, h.browserUA))})
	for i, op := range []string{"sts:GetCallerIdentity", "s3:ListObjects", "ec2:DescribeInstances", "logs:FilterLogEvents", "ecs:DescribeServices", "s3:GetObject"} {
		t := issued.Add(time.Duration(1+i*12)*time.Minute + secs(b.r, 0, 300))
		e := b.call(cred, op, t, h.homeIP, h.cliUA, nil, nil)
		story.add(e.eventID, e.t)
	}
	atk := b.attacker()
	match := &refs{}
	t := b.at
	for _, op := range []string{"sts:GetCallerIdentity", "s3:ListBuckets", "iam:ListRoles", "ec2:DescribeInstances", "secretsmanager:ListSecrets", "iam:GetAccountAuthorizationDetails", "s3:ListObjects"} {
		e := b.call(cred, op, t, atk.ip, atk.ua, nil, nil)
		if strings.HasPrefix(op, "iam:") && h.kind != kindAdmin {
			b.deny(e)
		}
		story.add(e.eventID, e.t)
		match.add(e.eventID, e.t)
		t = t.Add(secs(b.r, 10, 120))
	}
	b.label(famSessionReplay, "cloudtrail", Entity{Account: a.id, Principal: cred.arn, Role: cred.role.arn, User: h.upn, AccessKeyID: cred.key, SourceIPs: []string{h.homeIP, atk.ip}, ASNs: []int{h.home.asn, atk.net.asn}}, story, match)
	return nil
}

// workAccount is an account with workloads other than the security one.
func (b *sb) workAccount() *account {
	as := b.g.org.accounts
	if len(as) > 1 {
		return as[1+b.r.IntN(len(as)-1)]
	}
	return as[0]
}

func buildAssumeSecretRead(b *sb) error {
	a := b.workAccount()
	u := a.users[0]
	atk := b.attacker()
	caller := userCred(u)
	story := &refs{}
	e := b.call(caller, "sts:GetCallerIdentity", b.at, atk.ip, atk.ua, nil, nil)
	story.add(e.eventID, e.t)
	issued := b.at.Add(secs(b.r, 20, 60))
	cred := b.roleCred(a.adminRole, "botocore-session-"+strconv.FormatInt(issued.Unix(), 10), issued)
	ar := b.ct(evAssumeRole(b.r, issued, caller.ident, cred, a.regions[0], atk.ip, atk.ua, "", 3600))
	story.add(ar.eventID, ar.t)
	match := &refs{}
	t := issued.Add(secs(b.r, 40, 180))
	for _, op := range []string{"secretsmanager:ListSecrets", "secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParametersByPath", "kms:Decrypt"} {
		for _, e := range b.callF(cred, op, t, atk.ip, atk.ua) {
			story.add(e.eventID, e.t)
			if e.name != "ListSecrets" {
				match.add(e.eventID, e.t)
			}
		}
		t = t.Add(secs(b.r, 5, 60))
	}
	ent := Entity{Account: a.id, Principal: u.arn, Role: a.adminRole.arn, AccessKeyID: cred.key, ParentKeyID: u.key, SourceIPs: []string{atk.ip}, ASNs: []int{atk.net.asn}}
	b.label(famIssuedThenRead, "cloudtrail", ent, story, match)
	b.label(famRoleNewSource, "cloudtrail", ent, story, ctRefs([]*ctEvent{ar}))
	return nil
}

func policyDoc(stmts string) string { return `{"Version":"2012-10-17","Statement":[` + stmts + `]}` }

func (b *sb) obj(f func(w *jw)) []byte {
	var w jw
	w.open()
	f(&w)
	w.close()
	return w.b
}

func buildScopeExpansion(b *sb) error {
	a := b.workAccount()
	u := a.users[len(a.users)-1]
	for _, x := range a.users {
		if x.name == "metrics-exporter" {
			u = x
		}
	}
	atk := b.attacker()
	caller := userCred(u)
	issued := b.at
	cred := b.roleCred(a.adminRole, "session-"+randChars(b.r, lowerAlnum, 8), issued)
	story := &refs{}
	ar := b.ct(evAssumeRole(b.r, issued, caller.ident, cred, a.regions[0], atk.ip, atk.ua, "", 3600))
	story.add(ar.eventID, ar.t)
	role := pick(b.r, a.workloads)
	pol := "arn:aws:iam::" + a.id + ":policy/ops-maintenance"
	writes := []struct {
		op  string
		req []byte
	}{
		{"iam:CreatePolicy", b.obj(func(w *jw) {
			w.kstr("policyName", "ops-maintenance")
			w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Action":"*","Resource":"*"}`))
		})},
		{"iam:CreatePolicyVersion", b.obj(func(w *jw) {
			w.kstr("policyArn", pol)
			w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Action":["iam:*","sts:*"],"Resource":"*"}`))
			w.kbool("setAsDefault", true)
		})},
		{"iam:AttachRolePolicy", b.obj(func(w *jw) {
			w.kstr("roleName", role.name)
			w.kstr("policyArn", pol)
		})},
		{"iam:PutRolePolicy", nil},
		{"iam:TagRole", nil},
		{"iam:DetachRolePolicy", b.obj(func(w *jw) {
			w.kstr("roleName", role.name)
			w.kstr("policyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
		})},
		{"kms:CreateKey", nil}, {"kms:PutKeyPolicy", nil}, {"kms:CreateGrant", nil}, {"kms:DisableKey", nil}, {"kms:ScheduleKeyDeletion", nil},
		{"ec2:CreateSecurityGroup", nil}, {"ec2:AuthorizeSecurityGroupIngress", nil}, {"ec2:RevokeSecurityGroupEgress", nil},
		{"ec2:CreateKeyPair", nil}, {"ec2:ImportKeyPair", nil},
		{"organizations:DetachPolicy", b.obj(func(w *jw) {
			w.kstr("policyId", "p-"+randChars(b.r, lowerAlnum, 8))
			w.kstr("targetId", "ou-"+randChars(b.r, lowerAlnum, 4)+"-"+randChars(b.r, lowerAlnum, 8))
		})},
	}
	b.r.Shuffle(len(writes), func(i, j int) { writes[i], writes[j] = writes[j], writes[i] })
	writes = writes[:13+b.r.IntN(4)]
	// Reads that are not the secret or credential reads another family
	// watches for right after issuance.
	reads := []string{"ec2:DescribeSecurityGroups", "kms:ListAliases", "organizations:DescribeOrganization", "iam:GetAccountSummary", "ec2:DescribeVpcs", "ec2:DescribeInstances"}
	match := &refs{}
	t := issued.Add(secs(b.r, 30, 120))
	for i, wr := range writes {
		if i%3 == 0 {
			e := b.call(cred, reads[(i/3)%len(reads)], t, atk.ip, atk.ua, nil, nil)
			story.add(e.eventID, e.t)
			t = t.Add(secs(b.r, 5, 40))
		}
		e := b.call(cred, wr.op, t, atk.ip, atk.ua, wr.req, nil)
		if wr.op == "organizations:DetachPolicy" || i == 4 {
			b.deny(e)
		}
		story.add(e.eventID, e.t)
		match.add(e.eventID, e.t)
		t = t.Add(secs(b.r, 20, 150))
	}
	ent := Entity{Account: a.id, Principal: cred.arn, Role: a.adminRole.arn, AccessKeyID: cred.key, ParentKeyID: u.key, SourceIPs: []string{atk.ip}, ASNs: []int{atk.net.asn}}
	b.label(famScopeExpansion, "cloudtrail", ent, story, match)
	ent.Principal = u.arn
	b.label(famRoleNewSource, "cloudtrail", ent, story, ctRefs([]*ctEvent{ar}))
	return nil
}

func buildPersistence(b *sb) error {
	var u *iamUser
	if h := b.pickHuman(func(h *human) bool { return h.iam != nil }); h != nil {
		u = h.iam
	} else {
		u = b.g.org.accounts[0].users[0]
	}
	a := u.acct
	atk := b.attacker()
	cred := userCred(u)
	newUser := pick(b.r, []string{"svc-backup-2", "support-temp", "ci-deployer-legacy", "aws-health-check"})
	other := a.users[0]
	for _, x := range a.users {
		if x.human == nil && x != u {
			other = x
			break
		}
	}
	role := pick(b.r, b.workAccount().workloads)
	if role.acct != a {
		role = pick(b.r, a.workloads)
	}
	story := &refs{}
	t := b.at
	next := func() time.Time { t = t.Add(secs(b.r, 8, 90)); return t }
	for _, op := range []string{"iam:ListUsers", "iam:ListRoles"} {
		e := b.call(cred, op, next(), atk.ip, atk.ua, nil, nil)
		story.add(e.eventID, e.t)
	}
	newID := uniqueID(b.r, "AIDA")
	cu := b.call(cred, "iam:CreateUser", next(), atk.ip, atk.ua, b.obj(func(w *jw) { w.kstr("userName", newUser) }), b.obj(func(w *jw) {
		w.key("user")
		w.open()
		w.kstr("path", "/")
		w.kstr("userName", newUser)
		w.kstr("userId", newID)
		w.kstr("arn", "arn:aws:iam::"+a.id+":user/"+newUser)
		w.kstr("createDate", t.UTC().Format(layoutIAMDate))
		w.close()
	}))
	ap := b.call(cred, "iam:AttachUserPolicy", next(), atk.ip, atk.ua, b.obj(func(w *jw) {
		w.kstr("userName", newUser)
		w.kstr("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")
	}), nil)
	keyResp := func(user string) []byte {
		return b.obj(func(w *jw) {
			w.key("accessKey")
			w.open()
			w.kstr("accessKeyId", accessKeyID(b.r, "AKIA"))
			w.kstr("createDate", t.UTC().Format(layoutIAMDate))
			w.kstr("status", "Active")
			w.kstr("userName", user)
			w.close()
		})
	}
	ck1 := b.call(cred, "iam:CreateAccessKey", next(), atk.ip, atk.ua, b.obj(func(w *jw) { w.kstr("userName", newUser) }), keyResp(newUser))
	ck2 := b.call(cred, "iam:CreateAccessKey", next(), atk.ip, atk.ua, b.obj(func(w *jw) { w.kstr("userName", other.name) }), keyResp(other.name))
	lp := b.call(cred, "iam:CreateLoginProfile", next(), atk.ip, atk.ua, b.obj(func(w *jw) {
		w.kstr("userName", newUser)
		w.kbool("passwordResetRequired", false)
	}), b.obj(func(w *jw) {
		w.key("loginProfile")
		w.open()
		w.kstr("userName", newUser)
		w.kstr("createDate", t.UTC().Format(layoutIAMDate))
		w.kbool("passwordResetRequired", false)
		w.close()
	}))
	tp := b.call(cred, "iam:UpdateAssumeRolePolicy", next(), atk.ip, atk.ua, b.obj(func(w *jw) {
		w.kstr("roleName", role.name)
		w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+attackerAccount+`:root"},"Action":"sts:AssumeRole"}`))
	}), nil)
	for _, e := range []*ctEvent{cu, ap, ck1, ck2, lp, tp} {
		story.add(e.eventID, e.t)
	}
	ent := Entity{Account: a.id, Principal: u.arn, User: u.name, AccessKeyID: u.key, SourceIPs: []string{atk.ip}, ASNs: []int{atk.net.asn}}
	b.label(famUserCreated, "cloudtrail", ent, story, ctRefs([]*ctEvent{cu}))
	b.label(famAdminPolicy, "cloudtrail", ent, story, ctRefs([]*ctEvent{ap}))
	b.label(famKeyForOther, "cloudtrail", ent, story, ctRefs([]*ctEvent{ck1, ck2}))
	b.label(famLoginProfileOther, "cloudtrail", ent, story, ctRefs([]*ctEvent{lp}))
	ent.Role = role.arn
	b.label(famTrustOpened, "cloudtrail", ent, story, ctRefs([]*ctEvent{tp}))
	return nil
}

// signIn helpers.

func (b *sb) signInRow(h *human, app *entraApp, t time.Time, ip string, net *network, interactive bool, sessionID, incoming, ua string) *signIn {
	si := newSignIn(b.r, t, h, app, ip, net)
	si.interactive, si.sessionID, si.incoming, si.ua = interactive, sessionID, incoming, ua
	si.mfa = true
	b.add(rec{t: t, si: si})
	return si
}

func signInLog(si *signIn) string {
	if si.interactive {
		return "signinlogs"
	}
	return "aadnoninteractiveusersigninlogs"
}

func buildEntraReplay(b *sb) error {
	h := b.pickHuman(nil)
	if h == nil {
		return errorf("no people in the organisation")
	}
	o := b.g.org
	sid := uuid(b.r)
	t0 := b.at.Add(-time.Duration(25+b.r.IntN(10)) * time.Minute)
	story := &refs{}
	first := b.signInRow(h, o.appNamed("Microsoft Office"), t0, h.homeIP, h.home, true, sid, "none", h.browserUA)
	story.add(first.id, first.t)
	var last *signIn
	for i := 0; i < 3; i++ {
		last = b.signInRow(h, o.appNamed(pick(b.r, []string{"Microsoft Teams", "Microsoft Office", "OneDrive SyncEngine"})), t0.Add(time.Duration(5+i*7)*time.Minute+secs(b.r, 0, 60)), h.homeIP, h.home, false, sid, "refreshToken", laptopClientUA(h))
		story.add(last.id, last.t)
	}
	atk := b.entraAttacker(h)
	atkUA := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
	match := &refs{}
	t := b.at
	for i := 0; i < 4+b.r.IntN(3); i++ {
		app := o.appNamed(pick(b.r, []string{"Microsoft Office", "Microsoft Azure CLI", "Microsoft Teams"}))
		si := b.signInRow(h, app, t, atk.ip, atk.net, false, sid, "refreshToken", atkUA)
		if i == 0 {
			si.tokenID = last.tokenID // the same token presented again
		}
		si.mfa = true
		story.add(si.id, si.t)
		match.add(si.id, si.t)
		t = t.Add(secs(b.r, 60, 300))
	}
	b.label(famEntraReplay, "aadnoninteractiveusersigninlogs", Entity{User: h.upn, Principal: h.entraID, SessionID: sid, TokenID: last.tokenID, SourceIPs: []string{h.homeIP, atk.ip}, ASNs: []int{h.home.asn, atk.net.asn}}, story, match)
	return nil
}

func buildEntraRefresh(b *sb) error {
	h := b.pickHuman(nil)
	if h == nil {
		return errorf("no people in the organisation")
	}
	o := b.g.org
	sid := uuid(b.r)
	t0 := b.at.Add(-time.Duration(110+b.r.IntN(15)) * time.Minute)
	story := &refs{}
	si := b.signInRow(h, o.appNamed("Microsoft Azure CLI"), t0, h.homeIP, h.home, true, sid, "none", h.browserUA)
	story.add(si.id, si.t)
	si = b.signInRow(h, o.appNamed("Microsoft Azure CLI"), t0.Add(secs(b.r, 300, 900)), h.homeIP, h.home, false, sid, "refreshToken", "python-requests/2.32.3")
	story.add(si.id, si.t)
	atk := b.entraAttacker(h)
	match := &refs{}
	t := b.at
	for i := 0; i < 2+b.r.IntN(3); i++ {
		app := o.appNamed(pick(b.r, []string{"Microsoft Azure CLI", "Microsoft Office"}))
		si := b.signInRow(h, app, t, atk.ip, atk.net, false, sid, "refreshToken", "python-requests/2.32.3")
		story.add(si.id, si.t)
		match.add(si.id, si.t)
		t = t.Add(secs(b.r, 30, 200))
	}
	b.label(famEntraRefreshNew, "aadnoninteractiveusersigninlogs", Entity{User: h.upn, Principal: h.entraID, SessionID: sid, SourceIPs: []string{atk.ip}, ASNs: []int{atk.net.asn}}, story, match)
	return nil
}

func buildGCPKeyMint(b *sb) error {
	o := b.g.org
	if len(o.projects) == 0 {
		return errorf("no GCP projects in the organisation")
	}
	p := pick(b.r, o.projects)
	h := b.pickHuman(func(h *human) bool { return slices.Contains(h.projects, p) })
	if h == nil {
		h = b.pickHuman(nil)
	}
	sa, target := p.sas[0], p.admin
	keyID := randChars(b.r, hexLower, 40)
	atk := b.attacker()
	ua := "google-cloud-sdk gcloud/502.0.0 command/gcloud.iam.service-accounts.keys.create invocation-id/" + randChars(b.r, hexLower, 32) + " environment/None environment-version/None client-os/LINUX client-os-ver/6.11.2 client-pltf-arch/x86_64 interactive/True from-script/False python/3.12.7 term/xterm-256color"
	story := &refs{}
	add := func(e *gcpEntry) *gcpEntry { b.add(rec{t: e.t, ge: e}); story.add(e.insertID, e.t); return e }
	ck := add(newGCPEntry(b.r, b.at, p, b.g.gcat.m("google.iam.admin.v1.CreateServiceAccountKey"), h.upn, atk.ip, ua, &gcpCtx{target: sa, keyID: keyID}))
	t := b.at.Add(secs(b.r, 120, 600))
	pyUA := "google-api-python-client/2.149.0 gdcl/2.149.0 gl-python/3.12.7 (gzip)"
	mint := newGCPEntry(b.r, t, p, b.g.gcat.m("GenerateAccessToken"), sa.email, atk.ip, pyUA, &gcpCtx{target: target})
	mint.keyName = saKeyName(sa, keyID)
	add(mint)
	use := &refs{}
	outside := &refs{}
	outside.add(mint.insertID, mint.t)
	for _, m := range []string{"storage.objects.list", "storage.objects.get", "storage.objects.get", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "storage.objects.get"} {
		t = t.Add(secs(b.r, 20, 180))
		e := add(newGCPEntry(b.r, t, p, b.g.gcat.m(m), target.email, atk.ip, pyUA, &gcpCtx{}))
		e.delegation = []string{sa.email}
		use.add(e.insertID, e.t)
		outside.add(e.insertID, e.t)
	}
	ent := Entity{Project: p.id, Principal: h.upn, ServiceAccount: sa.email, KeyID: keyID, SourceIPs: []string{atk.ip}, ASNs: []int{atk.net.asn}}
	b.label(famGCPKeyCreated, "gcp_activity", ent, story, &refs{ids: []string{ck.insertID}, first: ck.t, last: ck.t})
	ent2 := ent
	ent2.Principal, ent2.ServiceAccount = sa.email, target.email
	b.label(famGCPMintThenUse, "gcp_data_access", ent2, story, use)
	b.label(famGCPSAOutside, "gcp_data_access", ent2, story, outside)
	return nil
}

// renderSession renders a planned session's steps as scenario records.
func (b *sb) renderSession(s *session) []rec {
	var out []rec
	for k := range s.steps {
		st := &s.steps[k]
		if !b.g.enabled[st.cloud] {
			continue
		}
		out = append(out, b.add(b.g.renderStep(b.r, s, st)))
	}
	return out
}

func buildCILeak(b *sb) error {
	o := b.g.org
	if len(o.repos) == 0 {
		return errorf("no CI repositories in the organisation")
	}
	rp := pick(b.r, o.repos)
	kind := []string{"aws", "gcp", "entra"}[(b.n-1)%3]
	lk := &ciLeak{kind: kind}
	switch kind {
	case "gcp":
		lk.secret = googleAccessToken(b.r)
	case "entra":
		lk.secret = fakeJWT(b.r, o.tenantID, "ci-bot@"+orgDomain)
	}
	s := b.g.pl.ciSession(b.r, rp, b.at, "build-and-deploy", lk)
	story := &refs{}
	var logOut *ciOutput
	for _, rc := range b.renderSession(s) {
		switch {
		case rc.ct != nil:
			story.add(rc.ct.eventID, rc.t)
		case rc.ci != nil:
			logOut = rc.ci
		}
	}
	if logOut == nil || len(lk.ids) == 0 {
		return errorf("ci-token-leak: the job log did not render the leak (a bug)")
	}
	leakRefs := &refs{}
	for i, id := range lk.ids {
		leakRefs.add(id, lk.times[i])
	}
	ent := Entity{Repository: rp.name, File: logOut.path, Lines: lk.lines, SourceIPs: []string{s.job.ip}}
	if kind == "aws" {
		ent.Account, ent.Role, ent.AccessKeyID, ent.Principal = rp.acct.id, rp.acct.ciRole.arn, s.job.cred.key, s.job.cred.arn
	}
	b.label(famCILeak, "buildlog", ent, leakRefs, leakRefs)
	if kind != "aws" {
		return nil
	}
	atk := b.attacker()
	match := &refs{}
	t := lk.at.Add(time.Duration(10+b.r.IntN(30)) * time.Minute)
	for _, op := range []string{"sts:GetCallerIdentity", "s3:ListBuckets", "ecr:GetAuthorizationToken", "ecs:ListClusters", "secretsmanager:ListSecrets", "s3:ListObjects"} {
		e := b.call(s.job.cred, op, t, atk.ip, atk.ua, nil, nil)
		story.add(e.eventID, e.t)
		match.add(e.eventID, e.t)
		t = t.Add(secs(b.r, 10, 90))
	}
	b.label(famSessionReplay, "cloudtrail", Entity{Account: rp.acct.id, Principal: s.job.cred.arn, Role: rp.acct.ciRole.arn, AccessKeyID: s.job.cred.key, Repository: rp.name, SourceIPs: []string{s.job.ip, atk.ip}, ASNs: []int{networksOf(netCI)[0].asn, atk.net.asn}}, story, match)
	return nil
}

func buildSSRF(b *sb) error {
	o := b.g.org
	in := b.pickInstance(func(in *instance) bool { return in.web })
	if in == nil {
		return errorf("no web-facing instance in the organisation")
	}
	atk := b.attacker()
	atk.ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	md := "http://169.254.169.254/latest/meta-data/"
	targets := []string{md, md + "iam/security-credentials/", md + "iam/security-credentials/" + in.role.name}
	story, match := &refs{}, &refs{}
	t := b.at.Add(-time.Duration(4+b.r.IntN(4)) * time.Minute).Add(time.Duration(b.r.IntN(1000)) * time.Millisecond)
	for i, tg := range targets {
		q := "url=" + tg // first plain, last encoded, the middle either
		if i == 2 || (i == 1 && b.r.IntN(2) == 0) {
			q = "url=" + url.QueryEscape(tg)
		}
		p := &proxyLine{t: t, id: proxyID(b.r, t), log: "edge", cip: atk.ip, method: "GET", host: o.webHost, uri: "https://" + o.webHost + "/api/preview?" + q, status: 200, csBytes: 400 + b.r.IntN(200), scBytes: 300 + b.r.IntN(1500), ua: atk.ua, dst: in.ip}
		b.add(rec{t: t, px: p})
		story.add(p.id, p.t)
		match.add(p.id, p.t)
		if i == len(targets)-1 {
			et := t.Add(40 * time.Millisecond)
			eg := &proxyLine{t: et, id: proxyID(b.r, et), log: "egress", cip: in.ip, method: "GET", host: "169.254.169.254", uri: tg, status: 200, csBytes: 180, scBytes: 1300 + b.r.IntN(200), ua: "python-requests/2.32.3", dst: "169.254.169.254"}
			b.add(rec{t: et, px: eg})
			story.add(eg.id, eg.t)
			match.add(eg.id, eg.t)
		}
		t = t.Add(secs(b.r, 15, 70))
	}
	b.label(famMetadataRequest, "proxy", Entity{Account: in.acct.id, Instance: in.id, Role: in.role.arn, SourceIPs: []string{atk.ip, in.ip}, ASNs: []int{atk.net.asn}}, story, match)
	b.stealInstance(in, b.at, atk)
	return nil
}

func buildBenignVPN(b *sb) error {
	h := b.pickHuman(func(h *human) bool { return h.vpn && humanWithAWS(h) })
	if h == nil {
		h = b.pickHuman(humanWithAWS)
	}
	if h == nil {
		return errorf("no people with AWS access")
	}
	vpn := networksOf(netVPN)[0]
	ipA := vpn.addr(b.r, false)
	ipB := ipA
	for ipB == ipA {
		ipB = vpn.addr(b.r, false)
	}
	a := h.accounts[0]
	cred := b.ssoCred(h, a, b.at, 2*time.Hour)
	story := ctRefs([]*ctEvent{b.ct(evAssumeSAML(b.r, b.g.org, h, cred, ipA, h.browserUA))})
	match := &refs{}
	t := b.at.Add(secs(b.r, 30, 90))
	ops := []string{"sts:GetCallerIdentity", "ec2:DescribeInstances", "logs:FilterLogEvents", "s3:ListObjects", "ecs:DescribeServices", "s3:GetObject", "lambda:GetFunction20150331v2"}
	for _, ip := range []string{ipA, ipB} {
		for i := 0; i < 5+b.r.IntN(3); i++ {
			e := b.call(cred, ops[b.r.IntN(len(ops))], t, ip, h.cliUA, nil, nil)
			story.add(e.eventID, e.t)
			match.add(e.eventID, e.t)
			t = t.Add(secs(b.r, 60, 300))
		}
		t = t.Add(secs(b.r, 20, 120)) // the reconnect
	}
	b.label(famSessionReplay, "cloudtrail", Entity{Account: a.id, Principal: cred.arn, Role: cred.role.arn, User: h.upn, AccessKeyID: cred.key, SourceIPs: []string{ipA, ipB}, ASNs: []int{vpn.asn}}, story, match)
	if !b.g.enabled[cEntra] {
		return nil
	}
	o := b.g.org
	sid := uuid(b.r)
	es, em := &refs{}, &refs{}
	si := b.signInRow(h, o.awsApp, b.at.Add(-secs(b.r, 5, 15)), ipA, vpn, true, sid, "none", h.browserUA)
	es.add(si.id, si.t)
	tt := b.at
	for _, ip := range []string{ipA, ipB} {
		for i := 0; i < 3; i++ {
			tt = tt.Add(secs(b.r, 300, 900))
			if ip == ipB && i == 0 && tt.Before(b.at.Add(40*time.Minute)) {
				tt = b.at.Add(40 * time.Minute)
			}
			si := b.signInRow(h, o.appNamed(pick(b.r, laptopApps)), tt, ip, vpn, false, sid, "refreshToken", laptopClientUA(h))
			es.add(si.id, si.t)
			em.add(si.id, si.t)
		}
	}
	b.labels = append(b.labels, Label{ID: b.id, Scenario: b.def.name, Cloud: "entra", Benign: true, Description: b.def.desc,
		Finding: Finding{Rule: famEntraReplay, Log: "aadnoninteractiveusersigninlogs", First: em.first, Last: em.last},
		Entity:  Entity{User: h.upn, Principal: h.entraID, SessionID: sid, SourceIPs: []string{ipA, ipB}, ASNs: []int{vpn.asn}}, EventIDs: es.ids, MatchIDs: em.ids})
	return nil
}

func buildBenignCIMany(b *sb) error {
	o := b.g.org
	if len(o.repos) == 0 {
		return errorf("no CI repositories in the organisation")
	}
	rp := o.repos[b.r.IntN(len(o.repos))]
	story, match := &refs{}, &refs{}
	var ips []string
	n := 25 + b.r.IntN(16)
	for i := 0; i < n; i++ {
		s := b.g.pl.ciSession(b.r, rp, b.at.Add(secs(b.r, 0, 45*60)), "build-and-deploy", nil)
		for _, rc := range b.renderSession(s) {
			if rc.ct != nil {
				story.add(rc.ct.eventID, rc.t)
				if rc.ct.name == "AssumeRoleWithWebIdentity" {
					match.add(rc.ct.eventID, rc.t)
				}
			}
		}
		ips = append(ips, s.job.ip)
	}
	sort.Strings(ips)
	b.label(famRoleNewSource, "cloudtrail", Entity{Account: rp.acct.id, Role: rp.acct.ciRole.arn, Repository: rp.name, SourceIPs: slices.Compact(ips), ASNs: []int{networksOf(netCI)[0].asn}}, story, match)
	return nil
}

func buildBenignTerraform(b *sb) error {
	o := b.g.org
	if len(o.repos) == 0 {
		return errorf("no CI repositories in the organisation")
	}
	var rp *repo
	for _, x := range o.repos {
		if x.terraform && (rp == nil || b.r.IntN(2) == 0) {
			rp = x
		}
	}
	if rp == nil {
		rp = o.repos[0]
	}
	s := b.g.pl.ciSession(b.r, rp, b.at, "terraform-apply", nil)
	a := rp.acct
	pol := "arn:aws:iam::" + a.id + ":policy/" + strings.TrimPrefix(rp.name, ghOrg+"/") + "-app"
	role := pick(b.r, a.workloads)
	writes := []struct {
		op  string
		req []byte
	}{
		{"iam:CreatePolicy", b.obj(func(w *jw) {
			w.kstr("policyName", strings.TrimPrefix(rp.name, ghOrg+"/")+"-app")
			w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::`+a.buckets[0]+`/*"}`))
		})},
		{"iam:CreatePolicyVersion", b.obj(func(w *jw) {
			w.kstr("policyArn", pol)
			w.kstr("policyDocument", policyDoc(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::`+a.buckets[0]+`/*"}`))
			w.kbool("setAsDefault", true)
		})},
		{"iam:CreateRole", b.obj(func(w *jw) {
			w.kstr("roleName", a.name+"-"+randChars(b.r, lowerAlnum, 6)+"-lambda")
			w.kstr("assumeRolePolicyDocument", policyDoc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`))
		})},
		{"iam:AttachRolePolicy", b.obj(func(w *jw) {
			w.kstr("roleName", role.name)
			w.kstr("policyArn", pol)
		})},
		{"iam:PutRolePolicy", nil}, {"iam:TagRole", nil},
		{"kms:CreateKey", nil}, {"kms:EnableKeyRotation", nil},
		{"ec2:CreateSecurityGroup", nil},
		{"ec2:AuthorizeSecurityGroupIngress", b.obj(func(w *jw) {
			w.kstr("groupId", a.sgs[0])
			w.key("ipPermissions")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("ipProtocol", "tcp")
			w.kint("fromPort", 443)
			w.kint("toPort", 443)
			w.key("ipRanges")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("cidrIp", "10.0.0.0/8")
			w.close()
			w.closeA()
			w.close()
			w.close()
			w.closeA()
			w.close()
		})},
		{"ec2:CreateTags", nil}, {"lambda:UpdateFunctionConfiguration20150331v2", nil}, {"lambda:UpdateFunctionCode20150331v2", nil},
		{"ecs:RegisterTaskDefinition", nil}, {"ecs:UpdateService", nil}, {"ssm:PutParameter", nil}, {"logs:CreateLogStream", nil},
		{"ecr:PutImage", nil}, {"s3:PutObject", nil},
	}
	// Add the writes to the job, spread over half an hour after its plan.
	last := s.steps[len(s.steps)-1].t
	t := last.Add(secs(b.r, 5, 20))
	for _, wr := range writes {
		src, _, _ := strings.Cut(wr.op, ":")
		s.steps = append(s.steps, step{t: t, cloud: cAWS, kind: stAWSCall, op: b.g.cat.short(wr.op), ua: terraformUA(b.r, src), req: wr.req})
		t = t.Add(secs(b.r, 20, 90))
	}
	s.job.end = t
	s.end = t
	story, match := &refs{}, &refs{}
	for _, rc := range b.renderSession(s) {
		if rc.ct != nil {
			story.add(rc.ct.eventID, rc.t)
			if !rc.ct.readOnly && rc.ct.name != "AssumeRoleWithWebIdentity" {
				match.add(rc.ct.eventID, rc.t)
			}
		}
	}
	b.label(famScopeExpansion, "cloudtrail", Entity{Account: a.id, Principal: s.job.cred.arn, Role: a.ciRole.arn, AccessKeyID: s.job.cred.key, Repository: rp.name, SourceIPs: []string{s.job.ip}, ASNs: []int{networksOf(netCI)[0].asn}}, story, match)
	return nil
}

func buildBenignOwnKey(b *sb) error {
	h := b.pickHuman(func(h *human) bool { return h.iam != nil })
	if h == nil {
		return errorf("no administrators with IAM users")
	}
	u := h.iam
	cred := userCred(u)
	ip, net := h.homeIP, h.home
	if h.office != nil {
		net = h.office
		ip = net.addr(b.r, false)
	}
	self := func(w *jw) { w.kstr("userName", u.name) }
	story := &refs{}
	e1 := b.call(cred, "iam:ListAccessKeys", b.at, ip, h.cliUA, b.obj(self), nil)
	var req []byte
	if b.r.IntN(2) == 0 {
		req = b.obj(self) // else no userName: the call acts on the caller
	}
	newKey := accessKeyID(b.r, "AKIA")
	t := b.at.Add(secs(b.r, 10, 60))
	ck := b.call(cred, "iam:CreateAccessKey", t, ip, h.cliUA, req, b.obj(func(w *jw) {
		w.key("accessKey")
		w.open()
		w.kstr("accessKeyId", newKey)
		w.kstr("createDate", t.UTC().Format(layoutIAMDate))
		w.kstr("status", "Active")
		w.kstr("userName", u.name)
		w.close()
	}))
	e3 := b.call(cred, "iam:UpdateAccessKey", t.Add(secs(b.r, 120, 400)), ip, h.cliUA, b.obj(func(w *jw) {
		w.kstr("userName", u.name)
		w.kstr("accessKeyId", u.key)
		w.kstr("status", "Inactive")
	}), nil)
	for _, e := range []*ctEvent{e1, ck, e3} {
		story.add(e.eventID, e.t)
	}
	b.label(famKeyForOther, "cloudtrail", Entity{Account: u.acct.id, Principal: u.arn, User: u.name, AccessKeyID: u.key, SourceIPs: []string{ip}, ASNs: []int{net.asn}}, story, ctRefs([]*ctEvent{ck}))
	return nil
}

// injectScenarios builds every requested injection, in the order asked,
// and sorts their records by time.
func (g *gen) injectScenarios() (skipped []string, err error) {
	used := map[any]bool{}
	for _, spec := range g.opts.Scenarios {
		def := findScenario(spec.Name)
		ok := true
		for _, c := range def.needs {
			ok = ok && g.enabled[c]
		}
		if !ok {
			skipped = append(skipped, def.name)
			continue
		}
		for k := 0; k < spec.Count; k++ {
			r := derive(g.opts.Seed, tagScenario, hashString(def.name), uint64(k))
			var at time.Time
			if len(spec.At) > 0 {
				at = spec.At[k].UTC()
			} else {
				lo := g.start.Add(def.lead)
				if g.opts.Duration >= 72*time.Hour {
					lo = g.start.Add(g.opts.Duration / 3)
				}
				hi := g.end.Add(-def.span)
				if hi.Before(lo) {
					lo = g.start.Add(def.lead)
				}
				if hi.Before(lo) {
					return nil, errorf("scenario %s needs %s of simulated time; simulate longer or leave it out", def.name, def.lead+def.span)
				}
				at = lo.Add(time.Duration(r.Int64N(int64(hi.Sub(lo)) + 1))).Truncate(time.Second)
			}
			if at.Add(-def.lead).Before(g.start) || at.Add(def.span).After(g.end) {
				return nil, errorf("scenario %s at %s: its records (from %s before to %s after) would fall outside the simulated time %s to %s",
					def.name, at.Format(time.RFC3339), def.lead, def.span, g.start.Format(time.RFC3339), g.end.Format(time.RFC3339))
			}
			b := &sb{g: g, r: r, at: at, id: def.name + "#" + strconv.Itoa(k+1), def: def, n: k + 1, used: used}
			if err := def.build(b); err != nil {
				return nil, errorf("scenario %s: %v", def.name, err)
			}
			for _, rc := range b.recs {
				if !inRange(rc.t, g.start, g.end) {
					return nil, errorf("scenario %s: a record at %s falls outside the simulated time (a bug)", def.name, rc.t.Format(time.RFC3339))
				}
			}
			g.scen = append(g.scen, b.recs...)
			g.labels = append(g.labels, b.labels...)
		}
	}
	sort.SliceStable(g.scen, func(i, j int) bool { return g.scen[i].t.Before(g.scen[j].t) })
	sort.SliceStable(g.labels, func(i, j int) bool { return g.labels[i].Finding.First.Before(g.labels[j].Finding.First) })
	return skipped, nil
}
