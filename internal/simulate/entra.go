package simulate

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// signIn is one Entra ID sign-in row in the Sentinel SigninLogs /
// AADNonInteractiveUserSignInLogs shape.
type signIn struct {
	t           time.Time
	interactive bool
	h           *human
	app         *entraApp
	ip          string
	net         *network
	ua          string
	code        int
	sessionID   string
	tokenID     string
	correlation string
	id          string
	incoming    string // IncomingTokenType
	mfa         bool   // AuthenticationRequirement multiFactorAuthentication
	phone       bool
	risk        string
	durationMs  int
}

var entraResults = map[int]string{
	0:     "",
	50126: "Error validating credentials due to invalid username or password.",
	50074: "Strong Authentication is required.",
	50140: "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
	53003: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
	70044: "The session has expired or is invalid due to sign-in frequency checks by conditional access.",
}

// newSignIn fills the identifiers of a sign-in row from r.
func newSignIn(r *rand.Rand, t time.Time, h *human, app *entraApp, ip string, net *network) *signIn {
	return &signIn{t: t.Truncate(100 * time.Nanosecond), h: h, app: app, ip: ip, net: net, id: uuid(r), correlation: uuid(r), tokenID: tokenID(r), risk: "none", durationMs: r.IntN(400)}
}

func deviceOS(h *human, phone bool) string {
	if phone {
		if h.idx%3 == 0 {
			return "Android"
		}
		return "Ios"
	}
	return map[string]string{"macOS": "MacOs", "Windows": "Windows10", "Linux": "Linux"}[h.os]
}

func phoneUA(h *human) string {
	if h.idx%3 == 0 {
		return "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240805.005)"
	}
	return "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
}

// render writes the row. Dynamic columns (LocationDetails, DeviceDetail,
// Status, ConditionalAccessPolicies, MfaDetail) are JSON objects in
// SigninLogs and JSON text in AADNonInteractiveUserSignInLogs, as Log
// Analytics exports them.
func (s *signIn) render(w *jw, tenantID, workspaceID string) {
	var sub jw
	dyn := func(k string, f func(w *jw)) {
		w.key(k)
		if s.interactive {
			f(w)
			return
		}
		sub.reset()
		f(&sub)
		w.str(string(sub.b))
	}
	w.open()
	w.kstr("TenantId", workspaceID)
	w.kstr("SourceSystem", "Azure AD")
	w.key("TimeGenerated")
	w.time(s.t, layoutEntra)
	w.kstr("ResourceId", "/tenants/"+tenantID+"/providers/Microsoft.aadiam")
	w.kstr("OperationName", "Sign-in activity")
	w.kstr("OperationVersion", "1.0")
	if s.interactive {
		w.kstr("Category", "SignInLogs")
	} else {
		w.kstr("Category", "NonInteractiveUserSignInLogs")
	}
	w.kstr("ResultType", strconv.Itoa(s.code))
	w.kstr("ResultSignature", "None")
	w.kstr("ResultDescription", entraResults[s.code])
	w.kint("DurationMs", int64(s.durationMs))
	w.kstr("CorrelationId", s.correlation)
	w.kstr("ResourceGroup", "Microsoft.aadiam")
	w.kstr("Identity", s.h.display)
	w.kstr("Level", "4")
	w.kstr("Location", s.net.country)
	w.kstr("AlternateSignInName", s.h.upn)
	w.kstr("AppDisplayName", s.app.name)
	w.kstr("AppId", s.app.id)
	w.kstr("AuthenticationContextClassReferences", "[]")
	authMethod := "Previously satisfied"
	detail := "First factor requirement satisfied by claim in the token"
	if s.interactive {
		authMethod, detail = "Password", "Correct password"
		if s.code == 50126 {
			detail = "Invalid username or password or Invalid on-premise username or password."
		}
	}
	sub.reset()
	sub.openA()
	sub.open()
	sub.key("authenticationStepDateTime")
	sub.time(s.t, layoutCT)
	sub.kstr("authenticationMethod", authMethod)
	sub.kbool("succeeded", s.code == 0 || s.code == 50074 || s.code == 50140)
	sub.kstr("authenticationStepResultDetail", detail)
	sub.kstr("authenticationStepRequirement", "Primary authentication")
	sub.close()
	if s.interactive && s.mfa && s.code == 0 {
		sub.open()
		sub.key("authenticationStepDateTime")
		sub.time(s.t, layoutCT)
		sub.kstr("authenticationMethod", "Mobile app notification")
		sub.kbool("succeeded", true)
		sub.kstr("authenticationStepResultDetail", "MFA successfully completed")
		sub.kstr("authenticationStepRequirement", "Multi-factor authentication")
		sub.close()
	}
	sub.closeA()
	w.kstr("AuthenticationDetails", string(sub.b))
	if s.interactive && s.mfa && s.code == 0 {
		w.kstr("AuthenticationMethodsUsed", "[\"Password\",\"Mobile app notification\"]")
	} else {
		w.kstr("AuthenticationMethodsUsed", "[]")
	}
	w.kstr("AuthenticationProcessingDetails", `[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},{"key":"Is CAE Token","value":"False"}]`)
	if s.mfa {
		w.kstr("AuthenticationRequirement", "multiFactorAuthentication")
	} else {
		w.kstr("AuthenticationRequirement", "singleFactorAuthentication")
	}
	w.kstr("AuthenticationRequirementPolicies", `[{"requirementProvider":"multiConditionalAccess","detail":"Conditional Access"}]`)
	w.kstr("ClientAppUsed", s.app.client)
	caStatus := "success"
	if !s.mfa {
		caStatus = "notApplied"
	}
	if s.code == 53003 {
		caStatus = "failure"
	}
	dyn("ConditionalAccessPolicies", func(w *jw) {
		w.openA()
		w.open()
		w.kstr("id", "4b0f3c5e-0000-4000-8000-00000000ca01")
		w.kstr("displayName", "Require MFA for all users")
		w.key("enforcedGrantControls")
		w.openA()
		w.str("Mfa")
		w.closeA()
		w.key("enforcedSessionControls")
		w.openA()
		w.closeA()
		w.kstr("result", caStatus)
		w.close()
		w.closeA()
	})
	w.kstr("ConditionalAccessStatus", caStatus)
	w.key("CreatedDateTime")
	w.time(s.t, layoutEntra)
	os := deviceOS(s.h, s.phone)
	dyn("DeviceDetail", func(w *jw) {
		w.open()
		if s.phone {
			w.kstr("deviceId", s.h.phoneID)
			w.kstr("displayName", strings.ToUpper(s.h.first)+"-PHONE")
			w.kstr("operatingSystem", os)
			w.kstr("browser", "Mobile Safari")
			w.kbool("isCompliant", true)
			w.kbool("isManaged", true)
			w.kstr("trustType", "Azure AD registered")
		} else if strings.HasPrefix(s.ua, "Mozilla/5.0 (") && s.h != nil && s.deviceKnown() {
			w.kstr("deviceId", s.h.deviceID)
			w.kstr("displayName", "LT-"+strings.ToUpper(s.h.first)+strings.ToUpper(s.h.last[:1]))
			w.kstr("operatingSystem", os)
			w.kstr("browser", s.h.browser)
			w.kbool("isCompliant", true)
			w.kbool("isManaged", true)
			w.kstr("trustType", "Azure AD joined")
		} else {
			w.kstr("deviceId", "")
			w.kstr("operatingSystem", deviceOSFromUA(s.ua))
			w.kstr("browser", browserFromUA(s.ua))
		}
		w.close()
	})
	w.kbool("IsInteractive", s.interactive)
	w.kstr("Id", s.id)
	w.kstr("IPAddress", s.ip)
	w.kbool("IsRisky", s.risk != "none")
	dyn("LocationDetails", func(w *jw) {
		w.open()
		w.kstr("city", s.net.city)
		w.kstr("state", s.net.state)
		w.kstr("countryOrRegion", s.net.country)
		w.key("geoCoordinates")
		w.open()
		w.key("latitude")
		w.float(s.net.lat)
		w.key("longitude")
		w.float(s.net.lon)
		w.close()
		w.close()
	})
	dyn("MfaDetail", func(w *jw) {
		w.open()
		if s.interactive && s.mfa && s.code == 0 {
			w.kstr("authMethod", "Mobile app notification")
		}
		w.close()
	})
	w.kstr("NetworkLocationDetails", "[]")
	w.kstr("OriginalRequestId", s.id)
	w.kstr("ProcessingTimeInMilliseconds", strconv.Itoa(40+s.durationMs/3))
	w.kstr("RiskDetail", "none")
	w.kstr("RiskEventTypes", "[]")
	w.kstr("RiskEventTypes_V2", "[]")
	w.kstr("RiskLevelAggregated", s.risk)
	w.kstr("RiskLevelDuringSignIn", s.risk)
	w.kstr("RiskState", "none")
	w.kstr("ResourceDisplayName", s.app.resource)
	w.kstr("ResourceIdentity", s.app.resourceID)
	w.kstr("ResourceServicePrincipalId", "")
	w.kstr("ServicePrincipalId", "")
	dyn("Status", func(w *jw) {
		w.open()
		w.kint("errorCode", int64(s.code))
		if s.code != 0 {
			w.kstr("failureReason", entraResults[s.code])
		} else if !s.interactive {
			w.kstr("additionalDetails", "MFA requirement satisfied by claim in the token")
		}
		w.close()
	})
	w.kstr("TokenIssuerName", "")
	w.kstr("TokenIssuerType", "AzureAD")
	w.kstr("UserAgent", s.ua)
	w.kstr("UserDisplayName", s.h.display)
	w.kstr("UserId", s.h.entraID)
	w.kstr("UserPrincipalName", s.h.upn)
	w.kstr("AADTenantId", tenantID)
	w.kstr("UserType", "Member")
	w.kbool("FlaggedForReview", false)
	w.kstr("IPAddressFromResourceProvider", "")
	w.kstr("SignInIdentifier", s.h.upn)
	w.kstr("SignInIdentifierType", "userPrincipalName")
	w.kstr("ResourceTenantId", tenantID)
	w.kstr("HomeTenantId", tenantID)
	w.kstr("UniqueTokenIdentifier", s.tokenID)
	w.kstr("SessionLifetimePolicies", "[]")
	w.kstr("AutonomousSystemNumber", s.net.asnString())
	w.kstr("AuthenticationProtocol", "none")
	w.kstr("CrossTenantAccessType", "none")
	w.kstr("SessionId", s.sessionID)
	w.kstr("IncomingTokenType", s.incoming)
	w.kstr("Resource", "Microsoft.aadiam")
	w.kstr("ResourceProvider", "Microsoft.aadiam")
	if s.interactive {
		w.kstr("Type", "SigninLogs")
	} else {
		w.kstr("Type", "AADNonInteractiveUserSignInLogs")
	}
	w.close()
}

// deviceKnown: the organisation's own browsers and clients sign in from the
// managed laptop; anything else (an attacker's tooling) is an unknown device.
func (s *signIn) deviceKnown() bool {
	return s.h != nil && (s.ua == s.h.browserUA || s.ua == laptopClientUA(s.h))
}

func laptopClientUA(h *human) string {
	if h.os == "Windows" {
		return "Windows-AzureAD-Authentication-Provider/1.0"
	}
	return h.browserUA
}

func deviceOSFromUA(ua string) string {
	switch {
	case strings.Contains(ua, "Windows"):
		return "Windows10"
	case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
		return "MacOs"
	case strings.Contains(ua, "Linux") || strings.Contains(ua, "python"):
		return "Linux"
	}
	return ""
}

func browserFromUA(ua string) string {
	switch {
	case strings.Contains(ua, "Edg/"):
		return "Edge 131.0.0"
	case strings.Contains(ua, "Chrome/"):
		return "Chrome 131.0.0"
	case strings.Contains(ua, "Firefox/"):
		return "Firefox 133.0"
	case strings.HasPrefix(ua, "python-requests"):
		return "Python Requests 2.32"
	}
	return ""
}
