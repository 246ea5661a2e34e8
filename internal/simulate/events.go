package simulate

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// Builders for the credential-issuing events (shared by background steps
// and scenarios).

func credsResp(w *jw, cred *awsCred) {
	w.key("credentials")
	w.open()
	w.kstr("accessKeyId", cred.key)
	w.kstr("sessionToken", cred.token)
	w.kstr("expiration", cred.expires.UTC().Format(layoutSTSExpiry))
	w.close()
}

func assumedRoleUser(w *jw, rl *role, sessName string) {
	w.key("assumedRoleUser")
	w.open()
	w.kstr("assumedRoleId", rl.id+":"+sessName)
	w.kstr("arn", "arn:aws:sts::"+rl.acct.id+":assumed-role/"+rl.name+"/"+sessName)
	w.close()
}

func roleResources(rl *role) []byte {
	var w jw
	w.openA()
	w.open()
	w.kstr("accountId", rl.acct.id)
	w.kstr("type", "AWS::IAM::Role")
	w.kstr("ARN", rl.arn)
	w.close()
	w.closeA()
	return w.b
}

// stsEvent starts an STS call record.
func stsEvent(r *rand.Rand, t time.Time, name string, ident []byte, recipient, region, ip, ua string) *ctEvent {
	e := &ctEvent{t: t.Truncate(time.Second), version: "1.08", ident: ident, source: "sts.amazonaws.com", name: name, region: region, ip: ip, ua: ua,
		requestID: uuid(r), eventID: uuid(r), readOnly: true, eventType: "AwsApiCall", management: true, recipient: recipient, category: "Management"}
	if isIP(ip) {
		e.tlsVer, e.cipher = "TLSv1.3", "TLS_AES_128_GCM_SHA256"
		if region == "us-east-1" {
			e.tlsHost = "sts.amazonaws.com"
		} else {
			e.tlsHost = "sts." + region + ".amazonaws.com"
		}
	}
	return e
}

// evAssumeRole is sts:AssumeRole issuing cred for role cred.role to a caller.
func evAssumeRole(r *rand.Rand, t time.Time, caller []byte, cred *awsCred, region, ip, ua string, externalID string, durSec int) *ctEvent {
	rl := cred.role
	e := stsEvent(r, t, "AssumeRole", caller, rl.acct.id, region, ip, ua)
	var w jw
	w.open()
	w.kstr("roleArn", rl.arn)
	w.kstr("roleSessionName", cred.sessionName)
	if durSec > 0 {
		w.kint("durationSeconds", int64(durSec))
	}
	w.kstrOmit("externalId", externalID)
	w.close()
	e.req = w.b
	w = jw{}
	w.open()
	credsResp(&w, cred)
	assumedRoleUser(&w, rl, cred.sessionName)
	w.close()
	e.resp = w.b
	e.resources = roleResources(rl)
	return e
}

// evAssumeEC2 is the AssumeRole EC2 makes to deliver instance-profile
// credentials.
func evAssumeEC2(r *rand.Rand, cred *awsCred, region string) *ctEvent {
	e := evAssumeRole(r, cred.issued, identService("ec2.amazonaws.com"), cred, region, "ec2.amazonaws.com", "ec2.amazonaws.com", "", 0)
	e.sharedID = uuid(r)
	return e
}

func evAssumeSAML(r *rand.Rand, o *org, h *human, cred *awsCred, ip, ua string) *ctEvent {
	rl := cred.role
	issuer := "https://sts.windows.net/" + o.tenantID + "/"
	var w jw
	w.open()
	w.kstr("type", "SAMLUser")
	w.kstr("principalId", "EXAMPLEnameQualifier"+strconv.Itoa(int(hashString(o.tenantID)%1000))+"=:"+h.upn)
	w.kstr("userName", h.upn)
	w.kstr("identityProvider", issuer)
	w.close()
	e := stsEvent(r, cred.issued, "AssumeRoleWithSAML", w.b, rl.acct.id, "us-east-1", ip, ua)
	dur := int64(cred.expires.Sub(cred.issued).Seconds())
	w = jw{}
	w.open()
	w.kstr("sAMLAssertionID", "_"+uuid(r))
	w.kstr("roleSessionName", h.upn)
	w.kstr("principalArn", rl.acct.samlProvider)
	w.kstr("roleArn", rl.arn)
	w.kint("durationSeconds", dur)
	w.close()
	e.req = w.b
	w = jw{}
	w.open()
	credsResp(&w, cred)
	assumedRoleUser(&w, rl, h.upn)
	w.kint("packedPolicySize", 6)
	w.kstr("subject", h.upn)
	w.kstr("subjectType", "persistent")
	w.kstr("issuer", issuer)
	w.kstr("audience", "https://signin.aws.amazon.com/saml")
	w.kstr("nameQualifier", "EXAMPLEnameQualifier"+strconv.Itoa(int(hashString(o.tenantID)%1000))+"=")
	w.close()
	e.resp = w.b
	e.resources = roleResources(rl)
	return e
}

func evConsoleLogin(r *rand.Rand, h *human, cred *awsCred, t time.Time, ip, ua string) *ctEvent {
	ident := identAssumedRole(cred.role, cred.sessionName, "", cred.issued, false, "", "")
	e := &ctEvent{t: t.Truncate(time.Second), version: "1.09", ident: ident, source: "signin.amazonaws.com", name: "ConsoleLogin", region: "us-east-1", ip: ip, ua: ua,
		requestID: uuid(r), eventID: uuid(r), eventType: "AwsConsoleSignIn", management: true, recipient: cred.acct.id, category: "Management"}
	e.resp = []byte(`{"ConsoleLogin":"Success"}`)
	var w jw
	w.open()
	w.kstr("LoginTo", "https://console.aws.amazon.com/console/home?region="+cred.acct.regions[0]+"&state=hashArgs%23&isauthcode=true")
	w.kstr("MobileVersion", "No")
	w.kstr("MFAUsed", "No")
	w.kstr("SamlProviderArn", cred.acct.samlProvider)
	w.close()
	e.addl = w.b
	return e
}

func evAssumeOIDC(r *rand.Rand, rp *repo, cred *awsCred, ip, ua string, branch string) *ctEvent {
	rl := cred.role
	sub := "repo:" + rp.name + ":ref:refs/heads/" + branch
	var w jw
	w.open()
	w.kstr("type", "WebIdentityUser")
	w.kstr("principalId", rl.acct.oidcProvider+":sts.amazonaws.com:"+sub)
	w.kstr("userName", sub)
	w.kstr("identityProvider", "token.actions.githubusercontent.com")
	w.close()
	region := rp.region
	e := stsEvent(r, cred.issued, "AssumeRoleWithWebIdentity", w.b, rl.acct.id, region, ip, ua)
	w = jw{}
	w.open()
	w.kstr("roleArn", rl.arn)
	w.kstr("roleSessionName", cred.sessionName)
	w.kint("durationSeconds", int64(cred.expires.Sub(cred.issued).Seconds()))
	w.close()
	e.req = w.b
	w = jw{}
	w.open()
	credsResp(&w, cred)
	w.kstr("subjectFromWebIdentityToken", sub)
	assumedRoleUser(&w, rl, cred.sessionName)
	w.kstr("provider", rl.acct.oidcProvider)
	w.kstr("audience", "sts.amazonaws.com")
	w.close()
	e.resp = w.b
	e.resources = roleResources(rl)
	return e
}

func evGetSessionToken(r *rand.Rand, u *iamUser, cred *awsCred, ip, ua string) *ctEvent {
	e := stsEvent(r, cred.issued, "GetSessionToken", identIAMUser(u, u.key, time.Time{}, false), u.acct.id, "us-east-1", ip, ua)
	var w jw
	w.open()
	w.kint("durationSeconds", int64(cred.expires.Sub(cred.issued).Seconds()))
	w.kstr("serialNumber", "arn:aws:iam::"+u.acct.id+":mfa/"+u.name)
	w.close()
	e.req = w.b
	w = jw{}
	w.open()
	credsResp(&w, cred)
	w.close()
	e.resp = w.b
	return e
}

// vendorCaller is the userIdentity of the monitoring vendor's poller in its
// own account.
func vendorCaller() []byte {
	return []byte(`{"type":"AWSAccount","principalId":"AROAVENDOREXAMPLE0001:poller","accountId":"` + vendorAccount + `"}`)
}
