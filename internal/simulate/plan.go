package simulate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Activity is planned a day at a time: for every actor, the sessions that
// start that day (a person's working day, an instance's credential period,
// a CI job, a vendor's polling hour). A session has scripted steps (the
// sign-in or credential issuance that opens it, a CI job's calls) and a
// weight: how many further calls it makes per hour, which the window
// generator draws as filler. Plans depend only on the seed, the organisation
// and the day, so any window can be generated independently.

type cloud int

const (
	cAWS cloud = iota
	cEntra
	cGCP
	cProxy
	cCI
	nClouds
)

var cloudNames = [nClouds]string{"aws", "entra", "gcp", "proxy", "ci"}

type sessKind int

const (
	skSSO sessKind = iota
	skIAMUser
	skInstance
	skCIJob
	skVendor
	skConfig
	skEntraLaptop
	skEntraPhone
	skGCPHuman
	skGCPVM
	skProxyEgress
	skProxyEdge
)

type stepKind int

const (
	stAssumeSAML stepKind = iota
	stConsoleLogin
	stGetSessionToken
	stAssumeEC2
	stAssumeVendor
	stAssumeConfig
	stAssumeOIDC
	stAWSCall
	stCILog
	stEntraSignIn
	stGCPToken
	stGCPCall
)

type step struct {
	t     time.Time
	cloud cloud
	kind  stepKind
	op    *awsOp
	ua    string
	app   *entraApp
	code  int      // Entra result code
	ref   *session // the Entra session an AWS sign-in belongs to
	gm    *gcpMethod
	req   []byte // overrides the op's request parameters
	resp  []byte // overrides the op's response elements
}

type modKind int

const (
	modFlat modKind = iota
	modTraffic
)

type session struct {
	kind    sessKind
	cloud   cloud // the cloud its filler feeds
	seed    uint64
	start   time.Time
	end     time.Time
	weight  float64 // filler calls per hour
	mod     modKind
	steps   []step
	h       *human
	inst    *instance
	rp      *repo
	vm      *gceVM
	proj    *project
	acct    *account
	region  string
	ip      string
	net     *network
	ua      string
	console bool
	cred    *awsCred
	prof    *profile
	errRate float64
	vpce    string
	// Entra.
	sessionID string
	incoming  string
	phone     bool
	// GCP.
	principal string
	gcpHuman  bool
	// CI.
	job *ciJob
}

// overlap returns the seconds of [a, b) the session covers.
func (s *session) overlap(a, b time.Time) float64 {
	lo, hi := s.start, s.end
	if a.After(lo) {
		lo = a
	}
	if b.Before(hi) {
		hi = b
	}
	if !hi.After(lo) {
		return 0
	}
	return hi.Sub(lo).Seconds()
}

// trafficFactor shapes machine traffic: a daily wave peaking at 16:00 UTC
// and lower at weekends.
func trafficFactor(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	f := 0.6 + 0.4*math.Cos(2*math.Pi*(h-16)/24)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		f *= 0.8
	}
	return f
}

// fillerWeight is the expected share of filler calls the session makes in
// [a, b). The pre-pass and the generator use this one function, so counts
// agree.
func (s *session) fillerWeight(a, b time.Time) float64 {
	if s.weight == 0 {
		return 0
	}
	ov := s.overlap(a, b)
	if ov == 0 {
		return 0
	}
	w := s.weight * ov / 3600
	if s.mod == modTraffic {
		w *= trafficFactor(a.Add(b.Sub(a) / 2))
	}
	return w
}

type dayPlan struct {
	day      int64
	sessions []*session
	// index: absolute window number (unix/300) → sessions overlapping it.
	index map[int64][]*session
}

const windowSec = 300

func unixDay(t time.Time) int64 { return floorDiv(t.Unix(), 86400) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekday of a day number: 0 is Sunday (day 0, 1970-01-01, was a Thursday).
func weekday(d int64) int { return int(((d+4)%7 + 7) % 7) }

type planner struct {
	seed uint64
	org  *org
	cat  *awsCatalog
	gcat *gcpCatalog
}

func at(unix float64) time.Time {
	sec := math.Floor(unix)
	return time.Unix(int64(sec), int64((unix-sec)*1e9)).UTC()
}

// plan builds the sessions starting on day d (for people: their local day
// d), indexed by window when index is set.
func (p *planner) plan(d int64, index bool) *dayPlan {
	dp := &dayPlan{day: d}
	for _, h := range p.org.humans {
		dp.sessions = append(dp.sessions, p.humanDay(h, d)...)
	}
	for _, in := range p.org.instances {
		dp.sessions = append(dp.sessions, p.instanceDay(in, d)...)
	}
	for _, rp := range p.org.repos {
		dp.sessions = append(dp.sessions, p.ciDay(rp, d)...)
	}
	for _, a := range p.org.accounts {
		dp.sessions = append(dp.sessions, p.serviceDay(a, d)...)
	}
	for pi, pr := range p.org.projects {
		for vi, vm := range pr.vms {
			s := &session{kind: skGCPVM, cloud: cGCP, seed: hashParts(tagSession, 9, uint64(pi), uint64(vi), uint64(d)), start: time.Unix(d*86400, 0).UTC(), end: time.Unix((d+1)*86400, 0).UTC(), weight: 40, mod: modTraffic, vm: vm, proj: pr, ip: vm.ip, principal: vm.sa.email}
			dp.sessions = append(dp.sessions, s)
		}
	}
	for _, in := range p.org.instances {
		s := &session{kind: skProxyEgress, cloud: cProxy, seed: hashParts(tagSession, 10, uint64(in.idx), uint64(d)), start: time.Unix(d*86400, 0).UTC(), end: time.Unix((d+1)*86400, 0).UTC(), weight: 8, mod: modTraffic, inst: in, ip: in.ip}
		if in.web {
			s.weight = 4
			edge := &session{kind: skProxyEdge, cloud: cProxy, seed: hashParts(tagSession, 11, uint64(in.idx), uint64(d)), start: s.start, end: s.end, weight: 40 + 8*float64(len(p.org.instances)), mod: modTraffic, inst: in}
			dp.sessions = append(dp.sessions, edge)
		}
		dp.sessions = append(dp.sessions, s)
	}
	if index {
		dp.index = map[int64][]*session{}
		for _, s := range dp.sessions {
			w0 := floorDiv(s.start.Unix(), windowSec)
			w1 := floorDiv(s.end.Add(-time.Nanosecond).Unix(), windowSec) // the window holding the session's last instant
			for _, st := range s.steps {
				if wn := floorDiv(st.t.Unix(), windowSec); wn > w1 {
					w1 = wn
				} else if wn < w0 {
					w0 = wn
				}
			}
			for wn := w0; wn <= w1; wn++ {
				dp.index[wn] = append(dp.index[wn], s)
			}
		}
	}
	return dp
}

// humanDay plans one person's local day d: AWS sessions through Entra ID
// federation (console or CLI), an admin's IAM-user work, the Entra laptop
// and phone sessions, GCP work.
func (p *planner) humanDay(h *human, d int64) []*session {
	r := derive(p.seed, tagPlan, 1, uint64(h.idx), uint64(d))
	ld := float64(h.localDayStartUnix(d))
	wd := weekday(d)
	weekend := wd == 0 || wd == 6
	working := (!weekend && chance(r, 0.92)) || (weekend && chance(r, 0.06))
	rotation, rotate := p.rotationDue(h, d)
	working = working || rotate // a planned key rotation: the administrator is in
	var out []*session

	phoneIP := h.mobile.addr(r, false)
	phone := &session{kind: skEntraPhone, cloud: cEntra, seed: r.Uint64(), start: at(ld + 7*3600 + r.Float64()*3600), end: at(ld + 21*3600 + r.Float64()*3600), weight: 2.5, h: h, ip: phoneIP, net: h.mobile, sessionID: uuid(r), incoming: "refreshToken", phone: true}
	out = append(out, phone)
	if !working {
		return out
	}
	startH := h.workStart + r.NormFloat64()*0.4
	length := h.workLen * (0.8 + 0.3*r.Float64())
	if weekend {
		length = 1.5 + 2*r.Float64()
	}
	dayStart := ld + startH*3600
	dayEnd := dayStart + length*3600

	net, ip := h.home, h.homeIP
	switch {
	case h.office != nil && !weekend && chance(r, 0.55):
		net = h.office
		ip = net.addr(r, false)
	case h.vpn && chance(r, 0.45):
		net = networksOf(netVPN)[0]
		ip = net.addr(r, false)
	}

	laptop := &session{kind: skEntraLaptop, cloud: cEntra, seed: r.Uint64(), start: at(dayStart - 180), end: at(dayEnd), weight: 10, h: h, ip: ip, net: net, sessionID: uuid(r), incoming: "refreshToken"}
	if h.os == "Windows" {
		laptop.incoming = "primaryRefreshToken"
	}
	first := pick(r, []string{"Microsoft Office", "Microsoft Teams"})
	t0 := dayStart - 170
	switch x := r.Float64(); {
	case x < 0.03:
		laptop.steps = append(laptop.steps, step{t: at(t0), cloud: cEntra, kind: stEntraSignIn, app: p.org.appNamed(first), code: 50126})
		t0 += 20 + 30*r.Float64()
	case x < 0.18:
		laptop.steps = append(laptop.steps, step{t: at(t0), cloud: cEntra, kind: stEntraSignIn, app: p.org.appNamed(first), code: 50074})
		t0 += 15 + 20*r.Float64()
	case x < 0.23:
		laptop.steps = append(laptop.steps, step{t: at(t0), cloud: cEntra, kind: stEntraSignIn, app: p.org.appNamed(first), code: 50140})
		t0 += 5 + 10*r.Float64()
	}
	laptop.steps = append(laptop.steps, step{t: at(t0), cloud: cEntra, kind: stEntraSignIn, app: p.org.appNamed(first)})
	for _, app := range []string{"Azure Portal", "GitHub Enterprise Cloud", "Slack"} {
		prob := map[string]float64{"Azure Portal": 0.15, "GitHub Enterprise Cloud": 0.4, "Slack": 0.5}[app]
		if h.kind == kindAdmin && app == "Azure Portal" {
			prob = 0.6
		}
		if chance(r, prob) {
			laptop.steps = append(laptop.steps, step{t: at(dayStart + r.Float64()*(dayEnd-dayStart)), cloud: cEntra, kind: stEntraSignIn, app: p.org.appNamed(app)})
		}
	}
	out = append(out, laptop)

	// AWS sessions through the Entra ID SAML application.
	n := map[humanKind]int{kindDeveloper: 1 + r.IntN(3), kindAdmin: 2 + r.IntN(3), kindData: 1 + r.IntN(2), kindReadOnly: r.IntN(2)}[h.kind]
	for k := 0; k < n && len(h.accounts) > 0; k++ {
		a := pick(r, h.accounts)
		rl := h.ssoRoleFor(a)
		t := dayStart + r.Float64()*math.Max(600, dayEnd-dayStart-1800)
		dur := (0.5 + 2.5*r.Float64()) * 3600
		if t+dur > dayEnd+1800 {
			dur = math.Max(900, dayEnd+1800-t)
		}
		durSec := int64(math.Ceil(dur/3600)) * 3600
		issued := at(t)
		key := accessKeyID(r, "ASIA")
		cred := &awsCred{key: key, token: sessionToken(r), issued: issued, expires: issued.Add(time.Duration(durSec) * time.Second), role: rl, sessionName: h.upn, acct: a}
		cred.ident = identAssumedRole(rl, h.upn, key, issued, false, "", "")
		cred.arn = "arn:aws:sts::" + a.id + ":assumed-role/" + rl.name + "/" + h.upn
		s := &session{kind: skSSO, cloud: cAWS, seed: r.Uint64(), start: issued, end: at(t + dur), h: h, acct: a, region: a.regions[0], ip: ip, net: net, cred: cred, errRate: 0.02}
		s.console = chance(r, 0.45) || (h.kind == kindAdmin && chance(r, 0.3))
		switch {
		case h.kind == kindAdmin:
			s.prof, s.weight = p.cat.profiles["admin"], 40
		case h.kind == kindReadOnly:
			s.prof, s.weight = p.cat.profiles["readonly"], 10
		case h.kind == kindData:
			s.prof, s.weight = p.cat.profiles["data"], 30
		case s.console:
			s.prof, s.weight = p.cat.profiles["console"], 40
		default:
			s.prof, s.weight = p.cat.profiles["cli"], 30
		}
		if s.console {
			s.ua = h.browserUA
		} else {
			s.ua = h.cliUA
		}
		s.steps = append(s.steps,
			step{t: at(t - 6 - 10*r.Float64()), cloud: cEntra, kind: stEntraSignIn, app: p.org.awsApp, ref: laptop},
			step{t: issued, cloud: cAWS, kind: stAssumeSAML, ua: h.browserUA},
		)
		if s.console {
			s.steps = append(s.steps, step{t: issued.Add(time.Duration(1+r.IntN(3)) * time.Second), cloud: cAWS, kind: stConsoleLogin, ua: h.browserUA})
		}
		out = append(out, s)
	}

	// An administrator's own IAM user: long-term key, sometimes through an
	// MFA session token.
	if h.iam != nil && chance(r, 0.4) {
		t := dayStart + r.Float64()*math.Max(600, dayEnd-dayStart-3600)
		dur := (0.5 + 1.5*r.Float64()) * 3600
		u := h.iam
		s := &session{kind: skIAMUser, cloud: cAWS, seed: r.Uint64(), start: at(t), end: at(t + dur), h: h, acct: u.acct, region: u.acct.regions[0], ip: ip, net: net, ua: h.cliUA, errRate: 0.02, prof: p.cat.profiles["admin"], weight: 25}
		cred := &awsCred{key: u.key, acct: u.acct, userName: u.name, arn: u.arn}
		if chance(r, 0.3) {
			cred.key = accessKeyID(r, "ASIA")
			cred.token = sessionToken(r)
			cred.issued = at(t)
			cred.expires = cred.issued.Add(12 * time.Hour)
			cred.ident = identIAMUser(u, cred.key, cred.issued, true)
			s.steps = append(s.steps, step{t: at(t), cloud: cAWS, kind: stGetSessionToken, ua: h.cliUA})
		} else {
			cred.ident = identIAMUser(u, u.key, time.Time{}, false)
		}
		s.cred = cred
		out = append(out, s)
	}

	// An administrator's monthly rotation of their IAM user's access key.
	if rotate {
		out = append(out, p.keyRotation(r, h, rotation, dayStart, dayEnd, ip, net))
	}

	// GCP work.
	if len(h.projects) > 0 && h.kind != kindReadOnly && chance(r, 0.5) {
		t := dayStart + r.Float64()*math.Max(600, dayEnd-dayStart-3600)
		dur := (0.5 + 2*r.Float64()) * 3600
		s := &session{kind: skGCPHuman, cloud: cGCP, seed: r.Uint64(), start: at(t), end: at(t + dur), weight: 20, h: h, proj: pick(r, h.projects), ip: ip, net: net, principal: h.upn, gcpHuman: true}
		s.console = chance(r, 0.3)
		if s.console {
			s.ua = h.browserUA + ",gzip(gfe)"
		} else {
			s.ua = "google-cloud-sdk gcloud/" + pick(r, []string{"497.0.0", "502.0.0", "505.0.0"}) + " command/gcloud.compute.instances.list invocation-id/" + randChars(r, hexLower, 32) + " environment/None environment-version/None client-os/" + map[string]string{"macOS": "MACOSX", "Windows": "WINDOWS", "Linux": "LINUX"}[h.os] + " client-os-ver/23.4.0 client-pltf-arch/arm interactive/True from-script/False python/3.12.4 term/xterm-256color"
		}
		out = append(out, s)
	}
	return out
}

// Instance credentials rotate roughly every 5¾ hours (new credentials are
// issued before the old ones expire after 6 hours).
const instancePeriod = 345 * 60

func (p *planner) instanceIssue(in *instance, k int64) float64 {
	phase := float64(hashParts(p.seed, tagPlan, 2, uint64(in.idx)) % instancePeriod)
	jit := float64(hashParts(p.seed, tagPlan, 3, uint64(in.idx), uint64(k)) % 120)
	return phase + float64(k)*instancePeriod + jit
}

func (p *planner) instanceDay(in *instance, d int64) []*session {
	lo, hi := float64(d*86400), float64((d+1)*86400)
	k := int64(lo/instancePeriod) - 2
	var out []*session
	for ; ; k++ {
		t := p.instanceIssue(in, k)
		if t >= hi {
			break
		}
		if t < lo {
			continue
		}
		r := derive(p.seed, tagPlan, 4, uint64(in.idx), uint64(k))
		issued := at(t)
		cred := &awsCred{key: accessKeyID(r, "ASIA"), token: sessionToken(r), issued: issued, expires: issued.Add(6 * time.Hour), role: in.role, sessionName: in.id, acct: in.acct}
		delivery := "2.0"
		if in.idx%7 == 0 || in.web { // IMDSv1 still allowed
			delivery = "1.0"
		}
		cred.ident = identAssumedRole(in.role, in.id, cred.key, issued, false, delivery, "")
		cred.arn = "arn:aws:sts::" + in.acct.id + ":assumed-role/" + in.role.name + "/" + in.id
		s := &session{kind: skInstance, cloud: cAWS, seed: r.Uint64(), start: issued, end: at(p.instanceIssue(in, k+1)), weight: 60, mod: modTraffic, inst: in, acct: in.acct, region: in.region, ip: in.ip, ua: in.ua, cred: cred, prof: p.cat.profiles["workload"], errRate: 0.002, vpce: in.acct.vpce}
		s.steps = []step{{t: issued, cloud: cAWS, kind: stAssumeEC2}}
		out = append(out, s)
	}
	return out
}

// serviceDay plans the vendor's hourly cross-account polling and AWS
// Config's service-linked role sessions in one account.
func (p *planner) serviceDay(a *account, d int64) []*session {
	var out []*session
	for hr := int64(0); hr < 24; hr++ {
		r := derive(p.seed, tagPlan, 5, uint64(a.idx), uint64(d), uint64(hr))
		t := float64(d*86400+hr*3600+420) + 120*r.Float64()
		issued := at(t)
		name := "monitoring-" + strconv.FormatInt(issued.Unix(), 10)
		cred := &awsCred{key: accessKeyID(r, "ASIA"), token: sessionToken(r), issued: issued, expires: issued.Add(time.Hour), role: a.vendorRole, sessionName: name, acct: a}
		cred.ident = identAssumedRole(a.vendorRole, name, cred.key, issued, false, "", "")
		cred.arn = "arn:aws:sts::" + a.id + ":assumed-role/" + a.vendorRole.name + "/" + name
		ua := "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 exec-env/ExampleMonitoringPoller"
		s := &session{kind: skVendor, cloud: cAWS, seed: r.Uint64(), start: issued, end: issued.Add(55 * time.Minute), weight: 25, acct: a, region: a.regions[0], ip: p.org.vendorIPs[int(hr)%len(p.org.vendorIPs)], ua: ua, cred: cred, prof: p.cat.profiles["vendor"], errRate: 0.01}
		s.steps = []step{{t: issued, cloud: cAWS, kind: stAssumeVendor, ua: ua}}
		out = append(out, s)
		if hr%6 == 1 {
			for ri, region := range a.regions {
				r := derive(p.seed, tagPlan, 6, uint64(a.idx), uint64(d), uint64(hr), uint64(ri))
				issued := at(float64(d*86400+hr*3600+900) + 300*r.Float64())
				cred := &awsCred{key: accessKeyID(r, "ASIA"), token: sessionToken(r), issued: issued, expires: issued.Add(6 * time.Hour), role: a.configRole, sessionName: "AWSConfig-Describe", acct: a}
				cred.ident = withInvokedBy(identAssumedRole(a.configRole, "AWSConfig-Describe", cred.key, issued, false, "", ""), "config.amazonaws.com")
				cred.arn = "arn:aws:sts::" + a.id + ":assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe"
				s := &session{kind: skConfig, cloud: cAWS, seed: r.Uint64(), start: issued, end: issued.Add(6 * time.Hour), weight: 2, acct: a, region: region, ip: "config.amazonaws.com", ua: "config.amazonaws.com", cred: cred, prof: p.cat.profiles["config"]}
				s.steps = []step{{t: issued, cloud: cAWS, kind: stAssumeConfig}}
				out = append(out, s)
			}
		}
	}
	return out
}

// poisson draws a Poisson variate (small means).
func poisson(r *rand.Rand, mean float64) int {
	l, k, prod := math.Exp(-mean), 0, 1.0
	for {
		prod *= r.Float64()
		if prod <= l {
			return k
		}
		k++
	}
}
