package simulate

import (
	"math/rand/v2"
	"strings"
	"time"
)

// ctEvent is one CloudTrail record before rendering. Free-form parts
// (requestParameters, responseElements, additionalEventData, resources) are
// already JSON.
type ctEvent struct {
	t          time.Time
	version    string
	ident      []byte
	source     string
	name       string
	region     string
	ip         string
	ua         string
	errCode    string
	errMsg     string
	req        []byte // nil: null
	resp       []byte // nil: null
	addl       []byte // nil: omitted
	resources  []byte // nil: omitted
	requestID  string
	eventID    string
	readOnly   bool
	eventType  string
	management bool
	recipient  string
	sharedID   string
	vpce       string
	vpceAcct   string
	category   string
	tlsHost    string
	tlsVer     string
	cipher     string
	console    bool
}

// render appends the record as CloudTrail writes it, fields in CloudTrail's
// order.
func (e *ctEvent) render(w *jw) {
	w.open()
	w.kstr("eventVersion", e.version)
	w.key("userIdentity")
	w.raw(e.ident)
	w.key("eventTime")
	w.time(e.t, layoutCT)
	w.kstr("eventSource", e.source)
	w.kstr("eventName", e.name)
	w.kstr("awsRegion", e.region)
	w.kstr("sourceIPAddress", e.ip)
	w.kstr("userAgent", e.ua)
	if e.errCode != "" {
		w.kstr("errorCode", e.errCode)
		w.kstr("errorMessage", e.errMsg)
	}
	w.key("requestParameters")
	if e.req == nil {
		w.null()
	} else {
		w.raw(e.req)
	}
	w.key("responseElements")
	if e.resp == nil {
		w.null()
	} else {
		w.raw(e.resp)
	}
	if e.addl != nil {
		w.key("additionalEventData")
		w.raw(e.addl)
	}
	w.kstr("requestID", e.requestID)
	w.kstr("eventID", e.eventID)
	w.kbool("readOnly", e.readOnly)
	if e.resources != nil {
		w.key("resources")
		w.raw(e.resources)
	}
	w.kstr("eventType", e.eventType)
	w.kbool("managementEvent", e.management)
	w.kstr("recipientAccountId", e.recipient)
	w.kstrOmit("sharedEventID", e.sharedID)
	if e.vpce != "" {
		w.kstr("vpcEndpointId", e.vpce)
		w.kstr("vpcEndpointAccountId", e.vpceAcct)
	}
	w.kstr("eventCategory", e.category)
	if e.tlsHost != "" {
		w.key("tlsDetails")
		w.open()
		w.kstr("tlsVersion", e.tlsVer)
		w.kstr("cipherSuite", e.cipher)
		w.kstr("clientProvidedHostHeader", e.tlsHost)
		w.close()
	}
	if e.console {
		w.kstr("sessionCredentialFromConsole", "true")
	}
	w.close()
}

// awsCred is a credential and the userIdentity it produces.
type awsCred struct {
	key         string
	token       string
	issued      time.Time
	expires     time.Time
	ident       []byte // userIdentity JSON
	arn         string // the caller's ARN, for error messages
	userName    string // IAM users: their name
	role        *role
	sessionName string
	acct        *account
}

// identAssumedRole builds the userIdentity of a role session.
func identAssumedRole(rl *role, sessionName, key string, created time.Time, mfa bool, ec2Delivery string, webIdP string) []byte {
	var w jw
	w.open()
	w.kstr("type", "AssumedRole")
	w.kstr("principalId", rl.id+":"+sessionName)
	w.kstr("arn", "arn:aws:sts::"+rl.acct.id+":assumed-role/"+rl.name+"/"+sessionName)
	w.kstr("accountId", rl.acct.id)
	w.kstrOmit("accessKeyId", key)
	w.key("sessionContext")
	w.open()
	w.key("sessionIssuer")
	w.open()
	w.kstr("type", "Role")
	w.kstr("principalId", rl.id)
	w.kstr("arn", rl.arn)
	w.kstr("accountId", rl.acct.id)
	w.kstr("userName", rl.name)
	w.close()
	w.key("webIdFederationData")
	w.open()
	if webIdP != "" {
		w.kstr("federatedProvider", webIdP)
		w.key("attributes")
		w.open()
		w.close()
	}
	w.close()
	w.key("attributes")
	w.open()
	w.key("creationDate")
	w.time(created, layoutCT)
	w.kstr("mfaAuthenticated", boolStr(mfa))
	w.close()
	if ec2Delivery != "" {
		w.kstr("ec2RoleDelivery", ec2Delivery)
	}
	w.close()
	w.close()
	return w.b
}

// identIAMUser builds the userIdentity of an IAM user calling with key (a
// long-term AKIA key, or an ASIA key from GetSessionToken when created is
// set).
func identIAMUser(u *iamUser, key string, created time.Time, mfa bool) []byte {
	var w jw
	w.open()
	w.kstr("type", "IAMUser")
	w.kstr("principalId", u.id)
	w.kstr("arn", u.arn)
	w.kstr("accountId", u.acct.id)
	w.kstr("accessKeyId", key)
	w.kstr("userName", u.name)
	if !created.IsZero() {
		w.key("sessionContext")
		w.open()
		w.key("attributes")
		w.open()
		w.key("creationDate")
		w.time(created, layoutCT)
		w.kstr("mfaAuthenticated", boolStr(mfa))
		w.close()
		w.close()
	}
	w.close()
	return w.b
}

// identService is the userIdentity of an AWS service acting on its own.
func identService(svc string) []byte {
	return []byte(`{"type":"AWSService","invokedBy":"` + svc + `"}`)
}

// withInvokedBy returns ident with an invokedBy field added (calls a
// service makes with the caller's credentials: forward access sessions).
func withInvokedBy(ident []byte, svc string) []byte {
	out := make([]byte, 0, len(ident)+40)
	out = append(out, ident[:len(ident)-1]...)
	out = append(out, `,"invokedBy":"`...)
	out = append(out, svc...)
	return append(out, `"}`...)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// callCtx is what a request builder may use.
type callCtx struct {
	r      *rand.Rand
	acct   *account
	region string
	cred   *awsCred
	inst   *instance
	h      *human
	w      jw
	// Values a builder chose and a follow-up needs.
	secretARN string
	paramName string
	decrypt   bool
}

// obj runs f inside a fresh JSON object and returns its bytes.
func (c *callCtx) obj(f func(w *jw)) []byte {
	c.w.reset()
	c.w.open()
	f(&c.w)
	c.w.close()
	return c.w.bytes()
}

type awsOp struct {
	source   string
	name     string
	readOnly bool
	data     bool
	global   bool
	// sensitive: a credential or secret read (the reads the
	// issued-then-read family watches).
	sensitive bool
	req       func(c *callCtx) []byte
	resp      func(c *callCtx) []byte
	addl      func(c *callCtx) []byte
	resources func(c *callCtx) []byte
	follow    followKind
}

type followKind int

const (
	followNone followKind = iota
	followKMSSecrets
	followKMSSSM
	followCFN
)

// service returns the IAM action prefix of the op's event source.
func (op *awsOp) service() string {
	s := strings.TrimSuffix(op.source, ".amazonaws.com")
	switch s {
	case "monitoring":
		return "cloudwatch"
	case "tagging":
		return "tag"
	}
	return s
}

func (op *awsOp) action() string {
	n := op.name
	// Lambda's versioned names: ListFunctions20150331 → ListFunctions.
	if i := strings.IndexAny(n, "0123456789"); i > 0 {
		n = n[:i]
	}
	return op.service() + ":" + n
}

// denied fills the error fields of an access-denied call as the service
// would word them.
func (op *awsOp) denied(e *ctEvent, callerARN, resource string) {
	action := op.action()
	msg := "User: " + callerARN + " is not authorized to perform: " + action + " on resource: " + resource + " because no identity-based policy allows the " + action + " action"
	switch op.service() {
	case "ec2":
		e.errCode = "Client.UnauthorizedOperation"
		e.errMsg = "You are not authorized to perform this operation. " + msg
	case "iam", "sts", "organizations":
		e.errCode = "AccessDenied"
		e.errMsg = msg
	case "s3":
		e.errCode = "AccessDenied"
		e.errMsg = "Access Denied"
	default:
		e.errCode = "AccessDenied"
		if op.service() != "cloudwatch" && op.service() != "cloudformation" {
			e.errCode = "AccessDeniedException"
		}
		e.errMsg = msg
	}
	e.resp = nil
}

// newEvent fills the fields every API call shares.
func newCTEvent(r *rand.Rand, t time.Time, cred *awsCred, op *awsOp, region, ip, ua string) *ctEvent {
	e := &ctEvent{
		t:          t.Truncate(time.Second), // CloudTrail has whole seconds
		version:    "1.09",
		ident:      cred.ident,
		source:     op.source,
		name:       op.name,
		region:     region,
		ip:         ip,
		ua:         ua,
		readOnly:   op.readOnly,
		eventType:  "AwsApiCall",
		management: !op.data,
		recipient:  cred.acct.id,
		category:   "Management",
		eventID:    uuid(r),
	}
	if op.global {
		e.region = "us-east-1"
	}
	if op.data {
		e.category = "Data"
	}
	switch {
	case op.source == "sts.amazonaws.com" || op.source == "signin.amazonaws.com":
		e.version = "1.08"
	case op.data && op.source == "s3.amazonaws.com":
		e.version = "1.10"
	}
	if op.source == "s3.amazonaws.com" {
		e.requestID = randChars(r, "0123456789ABCDEF", 16)
	} else {
		e.requestID = uuid(r)
	}
	if isIP(ip) {
		e.tlsHost = hostHeader(op, e.region)
		if r.IntN(5) == 0 {
			e.tlsVer, e.cipher = "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"
		} else {
			e.tlsVer, e.cipher = "TLSv1.3", "TLS_AES_128_GCM_SHA256"
		}
	}
	return e
}

// isIP reports whether a sourceIPAddress value is an address (not a service
// name such as ec2.amazonaws.com or AWS Internal).
func isIP(s string) bool {
	if s == "" || s == "AWS Internal" {
		return false
	}
	return !strings.HasSuffix(s, ".amazonaws.com")
}

func hostHeader(op *awsOp, region string) string {
	svc := strings.TrimSuffix(op.source, ".amazonaws.com")
	switch svc {
	case "iam", "organizations":
		return svc + ".amazonaws.com"
	case "monitoring":
		return "monitoring." + region + ".amazonaws.com"
	case "s3":
		return "s3." + region + ".amazonaws.com"
	}
	return svc + "." + region + ".amazonaws.com"
}

// call renders a whole API call by cred from ip with ua. errRate is the
// chance of an access-denied error.
func (c *callCtx) call(op *awsOp, t time.Time, ip, ua string, errRate float64) *ctEvent {
	region := c.region
	e := newCTEvent(c.r, t, c.cred, op, region, ip, ua)
	c.secretARN, c.paramName, c.decrypt = "", "", false
	if op.req != nil {
		e.req = op.req(c)
	}
	if errRate > 0 && op.name != "GetCallerIdentity" && chance(c.r, errRate) {
		res := "*"
		if op.service() == "iam" {
			res = "arn:aws:iam::" + c.acct.id + ":role/*"
		} else if op.service() == "secretsmanager" && c.secretARN != "" {
			res = c.secretARN
		}
		op.denied(e, c.cred.arn, res)
		return e
	}
	if op.resp != nil {
		e.resp = op.resp(c)
	}
	if op.addl != nil {
		e.addl = op.addl(c)
	}
	if op.resources != nil {
		e.resources = op.resources(c)
	}
	return e
}

// followUps returns the calls a service makes on the caller's behalf after
// a successful op (KMS decrypts behind Secrets Manager and SSM, stack
// resources behind CloudFormation).
func (c *callCtx) followUps(cat *awsCatalog, op *awsOp, e *ctEvent) []*ctEvent {
	if e.errCode != "" {
		return nil
	}
	switch op.follow {
	case followKMSSecrets, followKMSSSM:
		if op.follow == followKMSSSM && !c.decrypt {
			return nil
		}
		svc := "secretsmanager.amazonaws.com"
		if op.follow == followKMSSSM {
			svc = "ssm.amazonaws.com"
		}
		dec := cat.op("kms.amazonaws.com", "Decrypt")
		f := newCTEvent(c.r, e.t.Add(time.Duration(20+c.r.IntN(200))*time.Millisecond), c.cred, dec, e.region, svc, svc)
		f.ident = withInvokedBy(c.cred.ident, svc)
		arn, ctx := c.secretARN, "SecretARN"
		if op.follow == followKMSSSM {
			arn = "arn:aws:ssm:" + e.region + ":" + c.acct.id + ":parameter" + c.paramName
			ctx = "PARAMETER_ARN"
		}
		f.req = c.obj(func(w *jw) {
			w.key("encryptionContext")
			w.open()
			w.kstr(ctx, arn)
			if op.follow == followKMSSecrets {
				w.kstr("SecretVersionId", uuid(c.r))
			}
			w.close()
			w.kstr("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
		})
		f.resources = kmsResource(c, pick(c.r, c.acct.kmsKeys), e.region)
		return []*ctEvent{f}
	case followCFN:
		var out []*ctEvent
		for i, name := range []string{"lambda.amazonaws.com:UpdateFunctionConfiguration20150331v2", "ssm.amazonaws.com:PutParameter"} {
			src, n, _ := strings.Cut(name, ":")
			fop := cat.op(src, n)
			f := c.call(fop, e.t.Add(time.Duration(3+4*i)*time.Second), "cloudformation.amazonaws.com", "cloudformation.amazonaws.com", 0)
			f.ident = withInvokedBy(c.cred.ident, "cloudformation.amazonaws.com")
			out = append(out, f)
		}
		return out
	}
	return nil
}

func kmsResource(c *callCtx, keyID, region string) []byte {
	var w jw
	w.openA()
	w.open()
	w.kstr("accountId", c.acct.id)
	w.kstr("type", "AWS::KMS::Key")
	w.kstr("ARN", "arn:aws:kms:"+region+":"+c.acct.id+":key/"+keyID)
	w.close()
	w.closeA()
	return w.b
}

// awsCatalog holds the operations and the activity profiles.
type awsCatalog struct {
	ops      []*awsOp
	byName   map[string]*awsOp
	profiles map[string]*profile
}

func (cat *awsCatalog) op(source, name string) *awsOp {
	op, ok := cat.byName[source+":"+name]
	if !ok {
		panic("simulate: unknown op " + source + ":" + name) // a bug in the catalogue, not bad input
	}
	return op
}

// profile is a weighted choice of operations.
type profile struct {
	ops []*awsOp
	cum []float64
}

func (p *profile) pick(r *rand.Rand) *awsOp {
	x := r.Float64() * p.cum[len(p.cum)-1]
	lo, hi := 0, len(p.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if p.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return p.ops[lo]
}

type opWeight struct {
	op string // source-prefix:name, e.g. "ec2:DescribeInstances"
	w  float64
}

func (cat *awsCatalog) makeProfile(ws []opWeight) *profile {
	p := &profile{}
	sum := 0.0
	for _, x := range ws {
		src, n, _ := strings.Cut(x.op, ":")
		sum += x.w
		p.ops = append(p.ops, cat.op(src+".amazonaws.com", n))
		p.cum = append(p.cum, sum)
	}
	return p
}
