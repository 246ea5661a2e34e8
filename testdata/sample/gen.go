//go:build ignore

// Command gen writes the synthetic CloudTrail sample: one day (2026-11-28)
// of a small AWS account, normal activity with a few attacks and near misses
// in it, and the list of records each example rule in rules/aws/cloudtrail
// must find.
//
// Run it from the repository root:
//
//	go run testdata/sample/gen.go
//
// Everything is fake and deterministic: documentation address ranges
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) plus a few
// private ones, the documentation account 111122223333, and access key ids
// spelled AKIAEXAMPLE… / ASIAEXAMPLE….
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
)

const (
	account  = "111122223333"
	other    = "444455556666" // an account the organisation does not own
	day      = "2026-11-28"
	instance = "i-0abc1234def567890"
)

// Record is a CloudTrail record, fields in CloudTrail's order.
type Record struct {
	EventVersion        string       `json:"eventVersion"`
	UserIdentity        UserIdentity `json:"userIdentity"`
	EventTime           string       `json:"eventTime"`
	EventSource         string       `json:"eventSource"`
	EventName           string       `json:"eventName"`
	AWSRegion           string       `json:"awsRegion"`
	SourceIPAddress     string       `json:"sourceIPAddress"`
	UserAgent           string       `json:"userAgent"`
	ErrorCode           string       `json:"errorCode,omitempty"`
	ErrorMessage        string       `json:"errorMessage,omitempty"`
	RequestParameters   any          `json:"requestParameters"`
	ResponseElements    any          `json:"responseElements"`
	AdditionalEventData any          `json:"additionalEventData,omitempty"`
	RequestID           string       `json:"requestID"`
	EventID             string       `json:"eventID"`
	ReadOnly            bool         `json:"readOnly"`
	Resources           []Resource   `json:"resources,omitempty"`
	EventType           string       `json:"eventType"`
	ManagementEvent     bool         `json:"managementEvent"`
	RecipientAccountID  string       `json:"recipientAccountId"`
	SharedEventID       string       `json:"sharedEventID,omitempty"`
	VPCEndpointID       string       `json:"vpcEndpointId,omitempty"`
	EventCategory       string       `json:"eventCategory"`
	TLSDetails          *TLSDetails  `json:"tlsDetails,omitempty"`
	SessionFromConsole  string       `json:"sessionCredentialFromConsole,omitempty"`
	fires               []string     // rule file stems that must find this record
}

type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type SessionContext struct {
	SessionIssuer   *SessionIssuer `json:"sessionIssuer,omitempty"`
	Attributes      Attributes     `json:"attributes"`
	EC2RoleDelivery string         `json:"ec2RoleDelivery,omitempty"`
}

type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type Attributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type Resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

type obj = map[string]any

// Callers.

func iamUser(name, key string) UserIdentity {
	return UserIdentity{Type: "IAMUser", PrincipalID: principal("AIDA", name), ARN: "arn:aws:iam::" + account + ":user/" + name,
		AccountID: account, AccessKeyID: key, UserName: name}
}

// consoleUser is an IAM user's console session: temporary keys and MFA.
func consoleUser(name, key, since string) UserIdentity {
	u := iamUser(name, key)
	u.SessionContext = &SessionContext{Attributes: Attributes{CreationDate: since, MFAAuthenticated: "true"}}
	return u
}

func role(name, session, key, since string) UserIdentity {
	roleID := principal("AROA", name)
	return UserIdentity{Type: "AssumedRole", PrincipalID: roleID + ":" + session,
		ARN: "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session, AccountID: account, AccessKeyID: key,
		SessionContext: &SessionContext{
			SessionIssuer: &SessionIssuer{Type: "Role", PrincipalID: roleID, ARN: "arn:aws:iam::" + account + ":role/" + name, AccountID: account, UserName: name},
			Attributes:    Attributes{CreationDate: since, MFAAuthenticated: "false"},
		}}
}

// instanceRole is the session of an instance profile, delivered by IMDSv2.
func instanceRole(key, since string) UserIdentity {
	u := role("web-app-role", instance, key, since)
	u.SessionContext.EC2RoleDelivery = "2.0"
	return u
}

func service(name string) UserIdentity { return UserIdentity{Type: "AWSService", InvokedBy: name} }

// principal makes a fake unique id: a prefix and 17 characters.
func principal(prefix, name string) string {
	h := sha256.Sum256([]byte(name))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte("EXAMPLE")
	for i := 0; len(b) < 17; i++ {
		b = append(b, alphabet[h[i]%32])
	}
	return prefix + string(b)
}

func uuid(seed string) string {
	h := sha256.Sum256([]byte(seed))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func tls(host string) *TLSDetails {
	return &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: host}
}

func credentials(key, expires string) obj {
	return obj{"accessKeyId": key, "sessionToken": "EXAMPLE-FAKE-SESSION-TOKEN-" + key + "-NOT-A-REAL-TOKEN", "expiration": expires}
}

const (
	browser  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	aliceCLI = "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off"
	ciCLI    = "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/GitHub_Actions cfg/retry-mode#standard md/installer#exe md/prompt#off"
	appSDK   = "aws-sdk-java/2.29.6 Linux/6.1.115-126.197.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"
	boto     = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.8.0-31-generic md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0"
	oldCLI   = "aws-cli/1.18.69 Python/3.8.10 Linux/5.15.0-91-generic botocore/1.17.92"
)

// Addresses.
const (
	aliceIP  = "198.51.100.23" // office
	bobIP    = "198.51.100.24" // office
	carolIP6 = "2001:db8:2::7"
	alice6   = "2001:db8:1::25"
	ciIP     = "192.0.2.10"   // CI egress
	appIP    = "10.0.12.34"   // the instance, through VPC endpoints
	vpnIP    = "172.16.5.9"   // VPN
	evilIP   = "203.0.113.66" // the attacker
	evilIP2  = "203.0.113.99" // where the stolen instance credentials are used
	evilIP6  = "2001:db8:ffff::66"
	vpce     = "vpce-0example0000000001"
)

func at(hms string) string { return day + "T" + hms + "Z" }

func records() []*Record {
	var rs []*Record
	add := func(r *Record, fires ...string) {
		if r.EventVersion == "" {
			r.EventVersion = "1.09"
		}
		if r.AWSRegion == "" {
			r.AWSRegion = "us-east-1"
		}
		if r.EventType == "" {
			r.EventType = "AwsApiCall"
		}
		if r.EventCategory == "" {
			r.EventCategory = "Management"
			r.ManagementEvent = true
		}
		r.RecipientAccountID = account
		n := len(rs) + 1
		r.EventID = uuid(fmt.Sprintf("event/%d", n))
		if r.RequestID == "" {
			r.RequestID = uuid(fmt.Sprintf("request/%d", n))
		}
		r.fires = fires
		rs = append(rs, r)
	}
	aliceConsole := consoleUser("alice", "ASIAEXAMPLEALICE0002", at("07:52:11"))
	bobConsole := consoleUser("bob", "ASIAEXAMPLEBOB000002", at("09:16:02"))
	bobKey := iamUser("bob", "AKIAEXAMPLEBOB000001")
	aliceKey := iamUser("alice", "AKIAEXAMPLEALICE0001")
	ciRunner := iamUser("ci-runner", "AKIAEXAMPLECIRUNNER1")
	ciDeployer := role("ci-deployer", "gha-run-4242", "ASIAEXAMPLECIDEPLOY1", at("08:10:05"))
	webApp := instanceRole("ASIAEXAMPLEWEBAPP001", at("08:00:00"))
	prodOps := role("prod-ops", "bob", "ASIAEXAMPLEPRODOPS01", at("02:20:00"))

	// --- The attacker, with bob's leaked access key, at night. ---
	add(&Record{UserIdentity: bobKey, EventTime: at("02:14:07"), EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity",
		SourceIPAddress: evilIP, UserAgent: boto, ReadOnly: true, TLSDetails: tls("sts.amazonaws.com")})
	add(&Record{UserIdentity: bobKey, EventTime: at("02:14:30"), EventSource: "sts.amazonaws.com", EventName: "GetFederationToken",
		SourceIPAddress: evilIP, UserAgent: boto, TLSDetails: tls("sts.amazonaws.com"),
		RequestParameters: obj{"name": "backup", "durationSeconds": 129600,
			"policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
		ResponseElements: obj{"credentials": credentials("ASIAEXAMPLEFEDTOKEN1", "Nov 29, 2026, 2:14:30 PM"),
			"federatedUser":    obj{"federatedUserId": account + ":backup", "arn": "arn:aws:sts::" + account + ":federated-user/backup"},
			"packedPolicySize": 6}},
		"aws_sts_get_federation_token", "aws_iam_rapid_scope_expansion")
	add(&Record{UserIdentity: bobKey, EventTime: at("02:15:12"), EventSource: "iam.amazonaws.com", EventName: "ListUsers",
		SourceIPAddress: evilIP, UserAgent: boto, ReadOnly: true, TLSDetails: tls("iam.amazonaws.com"),
		RequestParameters: obj{"maxItems": 100}})
	add(&Record{UserIdentity: bobKey, EventTime: at("02:15:40"), EventSource: "iam.amazonaws.com", EventName: "CreateUser",
		SourceIPAddress: evilIP, UserAgent: boto, TLSDetails: tls("iam.amazonaws.com"),
		RequestParameters: obj{"userName": "svc-backup"},
		ResponseElements: obj{"user": obj{"path": "/", "userName": "svc-backup", "userId": principal("AIDA", "svc-backup"),
			"arn": "arn:aws:iam::" + account + ":user/svc-backup", "createDate": "Nov 28, 2026, 2:15:40 AM"}}}, "aws_iam_new_write_api_for_identity", "aws_iam_rapid_scope_expansion", "aws_iam_user_created")
	add(&Record{UserIdentity: bobKey, EventTime: at("02:16:05"), EventSource: "iam.amazonaws.com", EventName: "CreateAccessKey",
		SourceIPAddress: evilIP, UserAgent: boto, TLSDetails: tls("iam.amazonaws.com"),
		RequestParameters: obj{"userName": "svc-backup"},
		ResponseElements: obj{"accessKey": obj{"userName": "svc-backup", "accessKeyId": "AKIAEXAMPLESVCBKP001", "status": "Active",
			"createDate": "Nov 28, 2026, 2:16:05 AM"}}},
		"aws_iam_credentials_for_other_user", "aws_iam_new_write_api_for_identity", "aws_iam_rapid_scope_expansion")
	add(&Record{UserIdentity: bobKey, EventTime: at("02:16:40"), EventSource: "iam.amazonaws.com", EventName: "CreateLoginProfile",
		SourceIPAddress: evilIP, UserAgent: boto, TLSDetails: tls("iam.amazonaws.com"),
		RequestParameters: obj{"userName": "svc-backup", "passwordResetRequired": false},
		ResponseElements:  obj{"loginProfile": obj{"userName": "svc-backup", "createDate": "Nov 28, 2026, 2:16:40 AM", "passwordResetRequired": false}}},
		"aws_iam_credentials_for_other_user", "aws_iam_new_write_api_for_identity", "aws_iam_rapid_scope_expansion")
	add(&Record{UserIdentity: bobKey, EventTime: at("02:17:10"), EventSource: "iam.amazonaws.com", EventName: "AttachUserPolicy",
		SourceIPAddress: evilIP, UserAgent: boto, TLSDetails: tls("iam.amazonaws.com"),
		RequestParameters: obj{"userName": "svc-backup", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
		"aws_iam_admin_policy_attached", "aws_iam_new_write_api_for_identity", "aws_iam_rapid_scope_expansion")
	add(&Record{UserIdentity: bobKey, EventTime: at("02:20:00"), EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
		SourceIPAddress: evilIP, UserAgent: oldCLI, ReadOnly: true, TLSDetails: tls("sts.amazonaws.com"),
		RequestParameters: obj{"roleArn": "arn:aws:iam::" + account + ":role/prod-ops", "roleSessionName": "bob"},
		ResponseElements: obj{"credentials": credentials("ASIAEXAMPLEPRODOPS01", "Nov 28, 2026, 3:20:00 AM"),
			"assumedRoleUser": obj{"assumedRoleId": principal("AROA", "prod-ops") + ":bob", "arn": prodOps.ARN}}}, "aws_sts_role_assumed_from_new_source", "aws_sts_token_issued_then_sensitive_read")
	add(&Record{UserIdentity: prodOps, EventTime: at("02:20:12"), EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue",
		SourceIPAddress: evilIP, UserAgent: oldCLI, ReadOnly: true, TLSDetails: tls("secretsmanager.us-east-1.amazonaws.com"),
		RequestParameters: obj{"secretId": "prod/db/master"}},
		"aws_secretsmanager_secret_read_by_external_role_session", "aws_sts_token_issued_then_sensitive_read")
	add(&Record{UserIdentity: prodOps, EventTime: at("02:21:45"), EventSource: "secretsmanager.amazonaws.com", EventName: "ListSecrets",
		SourceIPAddress: evilIP, UserAgent: oldCLI, ReadOnly: true, TLSDetails: tls("secretsmanager.us-east-1.amazonaws.com"),
		RequestParameters: obj{"maxResults": 100}})

	// --- Instance credentials stolen from web-app (SSRF) and used outside. ---
	add(&Record{UserIdentity: webApp, EventTime: at("03:05:00"), EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity",
		SourceIPAddress: evilIP2, UserAgent: oldCLI, ReadOnly: true, TLSDetails: tls("sts.amazonaws.com")},
		"aws_ec2_instance_credentials_used_outside", "aws_session_token_replay")
	add(&Record{UserIdentity: webApp, EventTime: at("03:05:31"), EventSource: "s3.amazonaws.com", EventName: "ListBuckets",
		SourceIPAddress: evilIP6, UserAgent: oldCLI, ReadOnly: true, TLSDetails: tls("s3.amazonaws.com"),
		RequestParameters: obj{"Host": "s3.amazonaws.com"}},
		"aws_ec2_instance_credentials_used_outside", "aws_session_token_replay")
	add(&Record{UserIdentity: prodOps, EventTime: at("03:30:00"), EventSource: "s3.amazonaws.com", EventName: "PutBucketPolicy",
		SourceIPAddress: evilIP, UserAgent: oldCLI, TLSDetails: tls("example-app-assets.s3.amazonaws.com"),
		RequestParameters: obj{"bucketName": "example-app-assets", "Host": "example-app-assets.s3.amazonaws.com", "policy": "",
			"bucketPolicy": obj{"Version": "2012-10-17", "Statement": []any{obj{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
				"Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-app-assets/*"}}}},
		Resources: []Resource{{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::example-app-assets"}}},
		"aws_s3_bucket_policy_public")
	add(&Record{UserIdentity: prodOps, EventTime: at("03:31:10"), EventSource: "cloudtrail.amazonaws.com", EventName: "StopLogging",
		SourceIPAddress: evilIP, UserAgent: oldCLI, TLSDetails: tls("cloudtrail.us-east-1.amazonaws.com"),
		RequestParameters: obj{"name": "arn:aws:cloudtrail:us-east-1:" + account + ":trail/management-events"}},
		"aws_cloudtrail_logging_stopped")

	// --- The working day. ---
	add(&Record{UserIdentity: UserIdentity{Type: "IAMUser", PrincipalID: principal("AIDA", "alice"), ARN: aliceKey.ARN, AccountID: account, UserName: "alice"},
		EventTime: at("07:52:11"), EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn",
		SourceIPAddress: aliceIP, UserAgent: browser, TLSDetails: tls("signin.aws.amazon.com"),
		ResponseElements:    obj{"ConsoleLogin": "Success"},
		AdditionalEventData: obj{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes", "MFAIdentifier": "arn:aws:iam::" + account + ":mfa/alice"}})
	add(&Record{UserIdentity: aliceConsole, EventTime: at("07:53:40"), EventSource: "ec2.amazonaws.com", EventName: "DescribeInstances",
		AWSRegion: "eu-west-1", SourceIPAddress: aliceIP, UserAgent: "console.ec2.amazonaws.com", ReadOnly: true, SessionFromConsole: "true",
		TLSDetails: tls("ec2.eu-west-1.amazonaws.com"), RequestParameters: obj{"instancesSet": obj{}, "filterSet": obj{}}})
	add(&Record{UserIdentity: aliceConsole, EventTime: at("07:55:02"), EventSource: "s3.amazonaws.com", EventName: "GetBucketLocation",
		SourceIPAddress: "AWS Internal", UserAgent: "AWS Internal", ReadOnly: true, SessionFromConsole: "true",
		RequestParameters: obj{"bucketName": "example-app-assets", "location": "", "Host": "example-app-assets.s3.amazonaws.com"}})
	add(&Record{UserIdentity: service("ec2.amazonaws.com"), EventTime: at("08:00:00"), EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
		SourceIPAddress: "ec2.amazonaws.com", UserAgent: "ec2.amazonaws.com", ReadOnly: true, SharedEventID: uuid("shared/1"),
		RequestParameters: obj{"roleArn": "arn:aws:iam::" + account + ":role/web-app-role", "roleSessionName": instance},
		ResponseElements:  obj{"credentials": credentials("ASIAEXAMPLEWEBAPP001", "Nov 28, 2026, 2:00:00 PM")},
		Resources:         []Resource{{AccountID: account, Type: "AWS::IAM::Role", ARN: "arn:aws:iam::" + account + ":role/web-app-role"}}})
	add(&Record{UserIdentity: webApp, EventTime: at("08:03:15"), EventSource: "s3.amazonaws.com", EventName: "GetObject",
		AWSRegion: "eu-west-1", SourceIPAddress: appIP, UserAgent: appSDK, ReadOnly: true, VPCEndpointID: vpce,
		EventCategory: "Data", TLSDetails: tls("example-app-assets.s3.eu-west-1.amazonaws.com"),
		RequestParameters:   obj{"bucketName": "example-app-assets", "key": "config/app.json", "Host": "example-app-assets.s3.eu-west-1.amazonaws.com"},
		AdditionalEventData: obj{"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader", "bytesTransferredIn": 0, "bytesTransferredOut": 2381},
		Resources: []Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::example-app-assets/config/app.json"},
			{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::example-app-assets"}}})
	// Near miss: the instance reads its secret from inside the VPC.
	add(&Record{UserIdentity: webApp, EventTime: at("08:03:16"), EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue",
		AWSRegion: "eu-west-1", SourceIPAddress: appIP, UserAgent: appSDK, ReadOnly: true, VPCEndpointID: vpce,
		TLSDetails: tls("secretsmanager.eu-west-1.amazonaws.com"), RequestParameters: obj{"secretId": "prod/web-app/api-key"}})
	// Near miss: Secrets Manager decrypts for the instance; the caller is a service name.
	add(&Record{UserIdentity: func() UserIdentity { u := webApp; u.InvokedBy = "secretsmanager.amazonaws.com"; return u }(),
		EventTime: at("08:03:16"), EventSource: "kms.amazonaws.com", EventName: "Decrypt", AWSRegion: "eu-west-1",
		SourceIPAddress: "secretsmanager.amazonaws.com", UserAgent: "secretsmanager.amazonaws.com", ReadOnly: true,
		RequestParameters: obj{"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": obj{"SecretARN": "arn:aws:secretsmanager:eu-west-1:" + account + ":secret:prod/web-app/api-key-AbCdEf"}},
		Resources:         []Resource{{AccountID: account, Type: "AWS::KMS::Key", ARN: "arn:aws:kms:eu-west-1:" + account + ":key/0example-0000-4000-8000-000000000001"}}})
	// CI assumes its deploy role from its egress address.
	add(&Record{UserIdentity: ciRunner, EventTime: at("08:10:05"), EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
		SourceIPAddress: ciIP, UserAgent: ciCLI + " md/command#sts.assume-role", ReadOnly: true, TLSDetails: tls("sts.amazonaws.com"),
		RequestParameters: obj{"roleArn": "arn:aws:iam::" + account + ":role/ci-deployer", "roleSessionName": "gha-run-4242", "durationSeconds": 3600},
		ResponseElements: obj{"credentials": credentials("ASIAEXAMPLECIDEPLOY1", "Nov 28, 2026, 9:10:05 AM"),
			"assumedRoleUser": obj{"assumedRoleId": principal("AROA", "ci-deployer") + ":gha-run-4242", "arn": ciDeployer.ARN}}}, "aws_sts_role_assumed_from_new_source")
	add(&Record{UserIdentity: ciDeployer, EventTime: at("08:10:09"), EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity",
		SourceIPAddress: ciIP, UserAgent: ciCLI + " md/command#sts.get-caller-identity", ReadOnly: true, TLSDetails: tls("sts.amazonaws.com")})
	add(&Record{UserIdentity: ciDeployer, EventTime: at("08:10:12"), EventSource: "cloudformation.amazonaws.com", EventName: "DescribeStacks",
		AWSRegion: "eu-west-1", SourceIPAddress: ciIP, UserAgent: ciCLI + " md/command#cloudformation.deploy", ReadOnly: true,
		TLSDetails: tls("cloudformation.eu-west-1.amazonaws.com"), RequestParameters: obj{"stackName": "web-app"}})
	add(&Record{UserIdentity: ciDeployer, EventTime: at("08:10:30"), EventSource: "cloudformation.amazonaws.com", EventName: "UpdateStack",
		AWSRegion: "eu-west-1", SourceIPAddress: ciIP, UserAgent: ciCLI + " md/command#cloudformation.deploy",
		TLSDetails: tls("cloudformation.eu-west-1.amazonaws.com"),
		RequestParameters: obj{"stackName": "web-app", "templateURL": "https://example-app-artifacts.s3.amazonaws.com/web-app/4242/template.yml",
			"capabilities": []any{"CAPABILITY_IAM"}},
		ResponseElements: obj{"stackId": "arn:aws:cloudformation:eu-west-1:" + account + ":stack/web-app/0example-0000-4000-8000-000000000002"}})
	add(&Record{UserIdentity: ciDeployer, EventTime: at("08:11:02"), EventSource: "s3.amazonaws.com", EventName: "PutObject",
		SourceIPAddress: ciIP, UserAgent: ciCLI + " md/command#s3.cp", EventCategory: "Data", TLSDetails: tls("example-app-artifacts.s3.amazonaws.com"),
		RequestParameters:   obj{"bucketName": "example-app-artifacts", "key": "web-app/4242/app.zip", "Host": "example-app-artifacts.s3.amazonaws.com"},
		AdditionalEventData: obj{"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader", "bytesTransferredIn": 18243311, "bytesTransferredOut": 0},
		Resources: []Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::example-app-artifacts/web-app/4242/app.zip"},
			{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::example-app-artifacts"}}})
	add(&Record{UserIdentity: UserIdentity{Type: "IAMUser", PrincipalID: principal("AIDA", "bob"), AccountID: account, UserName: "bob"},
		EventTime: at("09:15:44"), EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn",
		SourceIPAddress: bobIP, UserAgent: browser, ErrorMessage: "Failed authentication", TLSDetails: tls("signin.aws.amazon.com"),
		ResponseElements:    obj{"ConsoleLogin": "Failure"},
		AdditionalEventData: obj{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"}})
	add(&Record{UserIdentity: UserIdentity{Type: "IAMUser", PrincipalID: principal("AIDA", "bob"), ARN: bobKey.ARN, AccountID: account, UserName: "bob"},
		EventTime: at("09:16:02"), EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn",
		SourceIPAddress: bobIP, UserAgent: browser, TLSDetails: tls("signin.aws.amazon.com"),
		ResponseElements:    obj{"ConsoleLogin": "Success"},
		AdditionalEventData: obj{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes", "MFAIdentifier": "arn:aws:iam::" + account + ":mfa/bob"}})
	add(&Record{UserIdentity: bobConsole, EventTime: at("09:20:11"), EventSource: "iam.amazonaws.com", EventName: "ListUsers",
		SourceIPAddress: bobIP, UserAgent: "AWS Internal", ReadOnly: true, SessionFromConsole: "true", RequestParameters: obj{"maxItems": 1000}})
	// Near miss: bob changes his own console password.
	add(&Record{UserIdentity: bobConsole, EventTime: at("09:22:30"), EventSource: "iam.amazonaws.com", EventName: "UpdateLoginProfile",
		SourceIPAddress: bobIP, UserAgent: "AWS Internal", SessionFromConsole: "true", RequestParameters: obj{"userName": "bob"}}, "aws_iam_new_write_api_for_identity")
	add(&Record{UserIdentity: aliceKey, EventTime: at("09:31:00"), EventSource: "ec2.amazonaws.com", EventName: "DescribeSecurityGroups",
		AWSRegion: "eu-west-1", SourceIPAddress: alice6, UserAgent: aliceCLI + " md/command#ec2.describe-security-groups", ReadOnly: true,
		TLSDetails: tls("ec2.eu-west-1.amazonaws.com"), RequestParameters: obj{"securityGroupSet": obj{}, "filterSet": obj{}}})
	// Near misses: alice rotates her own keys, named and implicit.
	add(&Record{UserIdentity: aliceKey, EventTime: at("10:02:13"), EventSource: "iam.amazonaws.com", EventName: "CreateAccessKey",
		SourceIPAddress: aliceIP, UserAgent: aliceCLI + " md/command#iam.create-access-key", TLSDetails: tls("iam.amazonaws.com"),
		RequestParameters: obj{"userName": "alice"},
		ResponseElements: obj{"accessKey": obj{"userName": "alice", "accessKeyId": "AKIAEXAMPLEALICE0003", "status": "Active",
			"createDate": "Nov 28, 2026, 10:02:13 AM"}}}, "aws_iam_new_write_api_for_identity")
	add(&Record{UserIdentity: aliceKey, EventTime: at("10:05:00"), EventSource: "iam.amazonaws.com", EventName: "CreateAccessKey",
		SourceIPAddress: aliceIP, UserAgent: aliceCLI + " md/command#iam.create-access-key", TLSDetails: tls("iam.amazonaws.com"),
		ErrorCode: "LimitExceededException", ErrorMessage: "Cannot exceed quota for AccessKeysPerUser: 2"})
	// Near miss: a read-only policy.
	add(&Record{UserIdentity: aliceConsole, EventTime: at("10:30:00"), EventSource: "iam.amazonaws.com", EventName: "AttachUserPolicy",
		SourceIPAddress: aliceIP, UserAgent: "AWS Internal", SessionFromConsole: "true",
		RequestParameters: obj{"userName": "bob", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}, "aws_iam_new_write_api_for_identity")
	// Near miss: a customer policy whose name starts like the AWS one.
	add(&Record{UserIdentity: aliceConsole, EventTime: at("10:31:00"), EventSource: "iam.amazonaws.com", EventName: "AttachRolePolicy",
		SourceIPAddress: aliceIP, UserAgent: "AWS Internal", SessionFromConsole: "true",
		RequestParameters: obj{"roleName": "support", "policyArn": "arn:aws:iam::" + account + ":policy/AdministratorAccess-ReadOnly-Support"}}, "aws_iam_new_write_api_for_identity")
	// Near miss: a bucket policy for the organisation's own account.
	add(&Record{UserIdentity: aliceKey, EventTime: at("10:45:10"), EventSource: "s3.amazonaws.com", EventName: "PutBucketPolicy",
		SourceIPAddress: aliceIP, UserAgent: aliceCLI + " md/command#s3api.put-bucket-policy", TLSDetails: tls("example-app-artifacts.s3.amazonaws.com"),
		RequestParameters: obj{"bucketName": "example-app-artifacts", "Host": "example-app-artifacts.s3.amazonaws.com", "policy": "",
			"bucketPolicy": obj{"Version": "2012-10-17", "Statement": []any{obj{"Sid": "Deploy", "Effect": "Allow",
				"Principal": obj{"AWS": "arn:aws:iam::" + account + ":role/ci-deployer"},
				"Action":    "s3:PutObject", "Resource": "arn:aws:s3:::example-app-artifacts/*"}}}},
		Resources: []Resource{{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::example-app-artifacts"}}})
	// Near miss: a token for bob's own MFA session, not a federation token.
	add(&Record{UserIdentity: iamUser("bob", "AKIAEXAMPLEBOB000001"), EventTime: at("11:00:00"), EventSource: "sts.amazonaws.com", EventName: "GetSessionToken",
		SourceIPAddress: bobIP, UserAgent: aliceCLI + " md/command#sts.get-session-token", ReadOnly: true, TLSDetails: tls("sts.amazonaws.com"),
		RequestParameters: obj{"durationSeconds": 43200, "serialNumber": "arn:aws:iam::" + account + ":mfa/bob"},
		ResponseElements:  obj{"credentials": credentials("ASIAEXAMPLEBOB000003", "Nov 28, 2026, 11:00:00 PM")}})
	// Near misses: logging turned back on, and its status read.
	add(&Record{UserIdentity: aliceConsole, EventTime: at("11:30:00"), EventSource: "cloudtrail.amazonaws.com", EventName: "StartLogging",
		SourceIPAddress: aliceIP, UserAgent: "AWS Internal", SessionFromConsole: "true",
		RequestParameters: obj{"name": "arn:aws:cloudtrail:us-east-1:" + account + ":trail/management-events"}})
	add(&Record{UserIdentity: aliceConsole, EventTime: at("11:30:05"), EventSource: "cloudtrail.amazonaws.com", EventName: "GetTrailStatus",
		SourceIPAddress: aliceIP, UserAgent: "AWS Internal", ReadOnly: true, SessionFromConsole: "true",
		RequestParameters: obj{"name": "arn:aws:cloudtrail:us-east-1:" + account + ":trail/management-events"}})
	add(&Record{UserIdentity: webApp, EventTime: at("13:20:00"), EventSource: "ec2.amazonaws.com", EventName: "DescribeInstances",
		AWSRegion: "eu-west-1", SourceIPAddress: appIP, UserAgent: appSDK, ReadOnly: true, VPCEndpointID: vpce,
		TLSDetails: tls("ec2.eu-west-1.amazonaws.com"), RequestParameters: obj{"instancesSet": obj{"items": []any{obj{"instanceId": instance}}}, "filterSet": obj{}}})
	add(&Record{UserIdentity: service("ec2.amazonaws.com"), EventTime: at("14:00:00"), EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
		SourceIPAddress: "ec2.amazonaws.com", UserAgent: "ec2.amazonaws.com", ReadOnly: true, SharedEventID: uuid("shared/2"),
		RequestParameters: obj{"roleArn": "arn:aws:iam::" + account + ":role/web-app-role", "roleSessionName": instance},
		ResponseElements:  obj{"credentials": credentials("ASIAEXAMPLEWEBAPP002", "Nov 28, 2026, 8:00:00 PM")},
		Resources:         []Resource{{AccountID: account, Type: "AWS::IAM::Role", ARN: "arn:aws:iam::" + account + ":role/web-app-role"}}})
	add(&Record{UserIdentity: UserIdentity{Type: "IAMUser", PrincipalID: principal("AIDA", "carol"), ARN: "arn:aws:iam::" + account + ":user/carol", AccountID: account, UserName: "carol"},
		EventTime: at("16:30:40"), EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn",
		SourceIPAddress: carolIP6, UserAgent: browser, TLSDetails: tls("signin.aws.amazon.com"),
		ResponseElements:    obj{"ConsoleLogin": "Success"},
		AdditionalEventData: obj{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"}})
	add(&Record{UserIdentity: consoleUser("carol", "ASIAEXAMPLECAROL0001", at("16:30:40")), EventTime: at("16:31:02"), EventSource: "s3.amazonaws.com", EventName: "ListBuckets",
		SourceIPAddress: carolIP6, UserAgent: "AWS Internal", ReadOnly: true, SessionFromConsole: "true",
		RequestParameters: obj{"Host": "s3.amazonaws.com"}})
	add(&Record{UserIdentity: aliceKey, EventTime: at("20:00:00"), EventSource: "s3.amazonaws.com", EventName: "GetObject",
		SourceIPAddress: vpnIP, UserAgent: aliceCLI + " md/command#s3.cp", ReadOnly: true, EventCategory: "Data",
		TLSDetails:          tls("example-app-assets.s3.amazonaws.com"),
		RequestParameters:   obj{"bucketName": "example-app-assets", "key": "reports/2026-11.csv", "Host": "example-app-assets.s3.amazonaws.com"},
		AdditionalEventData: obj{"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader", "bytesTransferredIn": 0, "bytesTransferredOut": 98112},
		Resources: []Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::example-app-assets/reports/2026-11.csv"},
			{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::example-app-assets"}}})
	// Near miss: another account's role reads nothing here, but a failed
	// cross-account AssumeRole is logged in this account.
	add(&Record{UserIdentity: UserIdentity{Type: "AWSAccount", PrincipalID: principal("AIDA", "partner"), AccountID: other},
		EventTime: at("21:12:09"), EventSource: "sts.amazonaws.com", EventName: "AssumeRole", SourceIPAddress: "198.51.100.200",
		UserAgent: boto, ReadOnly: true, ErrorCode: "AccessDenied", TLSDetails: tls("sts.amazonaws.com"),
		ErrorMessage:      "User: arn:aws:iam::" + other + ":user/partner is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/prod-ops",
		RequestParameters: obj{"roleArn": "arn:aws:iam::" + account + ":role/prod-ops", "roleSessionName": "partner"}}, "aws_sts_role_assumed_from_new_source")

	sort.SliceStable(rs, func(i, j int) bool { return rs[i].EventTime < rs[j].EventTime })
	return rs
}

func main() {
	out := flag.String("out", "testdata/sample", "output directory")
	flag.Parse()
	rs := records()

	var b bytes.Buffer
	b.WriteString("{\"Records\": [\n")
	for i, r := range rs {
		line, err := json.Marshal(r)
		if err != nil {
			log.Fatal(err)
		}
		b.Write(line)
		if i < len(rs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	path := filepath.Join(*out, "cloudtrail", "2026", "11", "28", "sample.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}

	// expected.json: for each example rule (file name without .yml), the
	// eventIDs it must find in the sample, in time order.
	expected := map[string][]string{}
	for _, stem := range []string{
		"aws_sts_get_federation_token", "aws_iam_credentials_for_other_user", "aws_iam_admin_policy_attached",
		"aws_ec2_instance_credentials_used_outside", "aws_secretsmanager_secret_read_by_external_role_session",
		"aws_s3_bucket_policy_public", "aws_cloudtrail_logging_stopped", "aws_session_token_replay",
		"aws_sts_role_assumed_from_new_source", "aws_sts_token_issued_then_sensitive_read", "aws_iam_rapid_scope_expansion",
		"aws_iam_new_write_api_for_identity", "aws_iam_user_created", "aws_iam_role_trust_opened_to_other_account",
		"aws_rolesanywhere_trust_anchor_created", "aws_iam_wildcard_policy_written", "aws_cloudtrail_event_selectors_drop_management",
		"aws_iam_compromised_key_quarantine", "aws_sts_get_caller_identity_secret_scanner", "aws_secrets_read_in_bulk",
		"aws_secretsmanager_batch_get_secret_value",
	} {
		expected[stem] = []string{}
	}
	for _, r := range rs {
		for _, f := range r.fires {
			if _, ok := expected[f]; !ok {
				log.Fatalf("record %s names unknown rule %s", r.EventID, f)
			}
			expected[f] = append(expected[f], r.EventID)
		}
	}
	e, err := json.MarshalIndent(expected, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(e, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d records\n", path, len(rs))
}
