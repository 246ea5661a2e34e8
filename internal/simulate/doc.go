// Package simulate writes realistic, labelled cloud audit logs of a modelled
// organisation, for testing rules, hunts and speed claims against data that
// looks like the real thing, at any size, with ground truth.
//
// # The organisation
//
// Example Corp is derived from a seed and a size (OrgSize; by default from the
// event rate): AWS accounts (the documentation account ids 111122223333, …)
// with regions, buckets, secrets, parameters, KMS keys, tables, functions;
// roles with their trust (Entra ID-federated roles for people, a GitHub OIDC
// deploy role, OrganizationAccountAccessRole, a monitoring vendor's
// cross-account role, AWS Config's service-linked role, instance-profile
// roles); IAM users (service users and administrators' own users with
// long-term keys); EC2 instances whose credentials rotate about every six
// hours (ec2RoleDelivery 1.0 or 2.0); CI repositories whose jobs assume the
// deploy role from hosted runners; an Entra ID tenant whose users sign in to
// first-party and enterprise applications; GCP projects with service
// accounts, VMs and a workload-identity-federated CI service account. People
// live in five time zones, work weekdays (rarely weekends) from home, an
// office or the corporate VPN, and carry phones.
//
// # Address pools
//
// Every address is synthetic: the documentation ranges 192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 (RFC 5737, RFC 3849), the
// shared address space 100.64.0.0/10 (RFC 6598) for residential, mobile, CI
// runner and cloud pools, and 10.0.0.0/8 inside VPCs. Autonomous system
// numbers are the documentation ones (64496-64511, RFC 5398), each with a
// country, region, city and coordinates for sign-in logs. AWS service
// callers appear as CloudTrail writes them (ec2.amazonaws.com,
// config.amazonaws.com, secretsmanager.amazonaws.com, cloudformation.amazonaws.com,
// AWS Internal), including calls services make with the caller's own key.
//
// # Activity
//
// Activity is planned a day at a time: per person a working day (sign-ins,
// federated AWS sessions by console or CLI, an administrator's IAM-user
// work, GCP work), per instance its credential periods, per repository its
// CI jobs, per account the vendor's hourly polling and AWS Config. Each
// session has scripted steps (the sign-in or credential issuance that opens
// it, a CI job's calls) and a call rate; the rest of the requested volume is
// spread over the sessions active in each five-minute window, weighted by
// that rate and a traffic curve, so volume follows working hours, time zones
// and weekends. AccessDenied and similar errors come at realistic rates.
// Routine IAM changes recur as they do in a real organisation: every
// administrator rotates their IAM user's access key every four weeks (on a
// Tuesday to Thursday of their own), and each terraform-apply job of a
// deploy role may create, attach, tag and update the account's own roles
// and policies (chances per apply in terraformIAMChances), so a month of
// history holds what the benign look-alikes do.
//
// # Output
//
// Run writes, under Options.Out:
//
//	AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random>.json[.gz]
//	entra/SigninLogs/YYYY/MM/DD/SigninLogs_YYYYMMDD.jsonl
//	entra/AADNonInteractiveUserSignInLogs/YYYY/MM/DD/AADNonInteractiveUserSignInLogs_YYYYMMDD.jsonl
//	gcp/cloudaudit.googleapis.com/{activity,data_access}/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json
//	proxy/YYYY/MM/DD/proxy_YYYYMMDD.jsonl
//	ci/logs/YYYY/MM/DD/<owner>/<repo>/<run>/<job>.txt and ci/buildlog/YYYY/MM/DD/buildlog_YYYYMMDD.jsonl
//	labels.jsonl, manifest.json
//
// CloudTrail files hold {"Records":[...]} with the fields and field order of
// real records, one file per account, region and five-minute batch, named by
// the batch's end. Sign-in rows carry the Sentinel SigninLogs columns; as in
// Log Analytics exports, LocationDetails, DeviceDetail, Status and
// ConditionalAccessPolicies are objects in SigninLogs and JSON text in
// AADNonInteractiveUserSignInLogs. GCP entries are LogEntry objects with an
// AuditLog protoPayload, one a line, in the hourly files a Cloud Storage sink
// writes. Proxy lines use Sigma's proxy field names (c-ip, cs-method,
// cs-host, c-uri, …). CI job logs are GitHub Actions shaped text, and the same
// lines as JSON objects (time, id, repository, pipeline, run_id, job, runner,
// line, message).
//
// # Scenarios and labels
//
// Scenarios (see Scenarios) are injected at chosen or seed-drawn times; each
// finding they contain is one Label in labels.jsonl: the rule family
// (aws.session_token_replay, entra.token_replay_across_asn,
// cicd.token_in_build_log, …), its first and last time, the entity (account,
// principal, role, access key id, token or session id, source addresses,
// autonomous systems, file and lines) and the ids of the records involved
// (EventIDs) and of those a detector should flag (MatchIDs). Benign
// look-alikes are labelled the same way with Benign set.
//
// The background also holds the look-alikes every real environment has and
// that rules must tolerate, unlabelled: instance credentials issued by EC2
// and used at once to read secrets, a vendor's cross-account role reading
// inventory, an administrator's MFA session token listing IAM, CI roles
// assumed from ever-new runner addresses, GCP CI service accounts calling
// from runners through workload identity federation, and services calling
// with the caller's key from ec2.amazonaws.com-style addresses.
//
// # Secrets
//
// Every credential written is fake and says so: access key ids end in
// EXAMPLE (ASIA…EXAMPLE, AKIA…EXAMPLE), session tokens start
// IQoJb3JpZ2luX2VjEXAMPLE, Google tokens ya29.EXAMPLE, JWTs carry an
// EXAMPLE key id. They keep the shapes internal/redact recognises.
//
// # Determinism and scale
//
// All randomness comes from PCG generators (math/rand/v2) derived from the
// seed and what is being decided (a day's plan, a window, a scenario), never
// from the clock or map order, so the same seed and options give
// byte-identical output whatever Options.Workers is. Windows of five minutes
// are generated in parallel and written in order; memory holds a few
// windows and three days of plans, whatever the duration.
package simulate
