package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
	"github.com/tokenhunt/tokenhunt/hunts/ingest"
)

var cloudtrailSource = ir.Logsource{Product: "aws", Service: "cloudtrail"}

func gzipFile(t *testing.T, path, text string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCloudTrailLayouts ingests a gzip-compressed {"Records": [...]} file
// and a JSON-lines file, and checks the day partitions (UTC), the columns
// the pipeline reads and the keys kept in _unmapped.
func TestCloudTrailLayouts(t *testing.T) {
	in := t.TempDir()
	gzipFile(t, filepath.Join(in, "123_CloudTrail_us-east-1_20240301.json.gz"), `{"Records": [
 {"eventVersion": "1.08", "eventTime": "2024-03-01T23:59:59Z", "eventID": "a1", "eventName": "AssumeRole",
  "eventSource": "sts.amazonaws.com", "readOnly": true, "sourceIPAddress": "198.51.100.7",
  "userIdentity": {"type": "IAMUser", "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "futureKey": "x",
    "sessionContext": {"attributes": {"creationDate": "2024-03-01T20:00:00Z", "mfaAuthenticated": "false"},
      "sessionIssuer": {"arn": "arn:aws:iam::123:role/r"}}},
  "requestParameters": {"roleArn": "arn:aws:iam::123:role/r", "durationSeconds": 3600},
  "resources": [{"ARN": "arn:aws:iam::123:role/r"}], "brandNewField": [1, 2]},
 {"eventTime": "2024-03-02T00:00:00Z", "eventID": "a2", "eventName": "GetCallerIdentity", "readOnly": "false",
  "requestParameters": null, "responseElements": "plain text"},
 {"eventTime": "2024-03-02T01:30:00+02:00", "eventID": "a3", "eventName": "ListBuckets"}
], "extra": 1}`)
	lines := filepath.Join(in, "more.jsonl")
	writeFile(t, lines, `{"eventTime":"2024-03-02T12:00:00.123456Z","eventID":"b1","eventName":"GetObject","tlsDetails":{"tlsVersion":"TLSv1.3"}}

{"eventTime":"2024-03-03T00:00:00Z","eventID":"b2","eventName":"PutObject"}
`)
	writeFile(t, filepath.Join(in, "README.md"), "not a log")
	rep, out := run(t, ingest.CloudTrail, in)
	want := []counts{
		{File: "123_CloudTrail_us-east-1_20240301.json.gz", Layout: "cloudtrail records", Read: 3, Written: 3},
		{File: "more.jsonl", Layout: "json lines", Read: 2, Written: 2},
	}
	if diff := cmp.Diff(want, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	files := []string{
		"year=2024/month=03/day=01/part-0000.parquet",
		"year=2024/month=03/day=02/part-0000.parquet",
		"year=2024/month=03/day=03/part-0000.parquet",
	}
	if diff := cmp.Diff(files, parquetFiles(t, out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	rows := readBack(t, "cloudtrail", cloudtrailSource, out,
		`SELECT eventID AS id, regexp_extract(filename, 'day=(\d+)', 1) AS day, readOnly AS ro,
		 userIdentity.accessKeyId AS key, userIdentity.sessionContext.sessionIssuer.arn AS issuer,
		 strftime(userIdentity.sessionContext.attributes.creationDate, '%H:%M') AS created,
		 requestParameters AS req, responseElements AS resp, resources AS res, tlsDetails.tlsVersion AS tls,
		 _unmapped AS unmapped, strftime(eventTime, '%Y-%m-%d %H:%M:%S.%f') AS t
		 FROM read_parquet('`+out+`/*/*/*/*.parquet', filename = true) ORDER BY id`)
	wantRows := []map[string]any{
		{"id": "a1", "day": "01", "ro": true, "key": "AKIAIOSFODNN7EXAMPLE", "issuer": "arn:aws:iam::123:role/r", "created": "20:00",
			"req": `{"roleArn":"arn:aws:iam::123:role/r","durationSeconds":3600}`, "resp": nil, "res": `[{"ARN":"arn:aws:iam::123:role/r"}]`, "tls": nil,
			"unmapped": `{"brandNewField":[1,2],"userIdentity":{"futureKey":"x"}}`, "t": "2024-03-01 23:59:59.000000"},
		{"id": "a2", "day": "02", "ro": false, "key": nil, "issuer": nil, "created": nil, "req": nil, "resp": "plain text", "res": nil, "tls": nil,
			"unmapped": nil, "t": "2024-03-02 00:00:00.000000"},
		{"id": "a3", "day": "01", "ro": nil, "key": nil, "issuer": nil, "created": nil, "req": nil, "resp": nil, "res": nil, "tls": nil,
			"unmapped": nil, "t": "2024-03-01 23:30:00.000000"},
		{"id": "b1", "day": "02", "ro": nil, "key": nil, "issuer": nil, "created": nil, "req": nil, "resp": nil, "res": nil, "tls": "TLSv1.3",
			"unmapped": nil, "t": "2024-03-02 12:00:00.123456"},
		{"id": "b2", "day": "03", "ro": nil, "key": nil, "issuer": nil, "created": nil, "req": nil, "resp": nil, "res": nil, "tls": nil,
			"unmapped": nil, "t": "2024-03-03 00:00:00.000000"},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Every column and struct field the pipeline declares is there, with
	// its type: the engine adds none as NULL.
	types := readBack(t, "cloudtrail", cloudtrailSource, out,
		`SELECT typeof(eventTime) AS t, typeof(readOnly) AS ro, typeof(userIdentity.sessionContext.attributes.creationDate) AS cd FROM cloudtrail LIMIT 1`)
	if diff := cmp.Diff([]map[string]any{{"t": "TIMESTAMP WITH TIME ZONE", "ro": "BOOLEAN", "cd": "TIMESTAMP WITH TIME ZONE"}}, types); diff != "" {
		t.Errorf("types (-want +got):\n%s", diff)
	}

	// A second run skips the input it ingested before: nothing is read
	// twice, however often a nightly job runs over the same folder.
	rep2, err := ingest.Run(context.Background(), ingest.Options{Kind: ingest.CloudTrail, Out: out}, []string{lines})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep2.Outputs) != 0 || !rep2.Files[0].Skipped || rep2.Files[0].Read != 0 {
		t.Errorf("second run: outputs %v, skipped %v, read %d: want the input skipped", rep2.Outputs, rep2.Files[0].Skipped, rep2.Files[0].Read)
	}
	// With Force, files with the next part number are added and the old
	// kept.
	rep3, err := ingest.Run(context.Background(), ingest.Options{Kind: ingest.CloudTrail, Out: out, Force: true}, []string{lines})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"year=2024/month=03/day=02/part-0001.parquet", "year=2024/month=03/day=03/part-0001.parquet"}, rep3.Outputs); diff != "" {
		t.Errorf("forced run outputs (-want +got):\n%s", diff)
	}
}

// The same bytes under two names, in one run or in two, are ingested once;
// a changed file is ingested again; a manifest cut short by a crash loses
// only its last entry.
func TestIngestOnce(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.json")
	rec := `{"eventTime":"2024-01-01T00:00:00Z","eventID":"e1"}` + "\n"
	writeFile(t, a, rec)
	writeFile(t, b, rec)
	out := filepath.Join(dir, "out")
	run := func(inputs ...string) *ingest.Report {
		t.Helper()
		rep, err := ingest.Run(context.Background(), ingest.Options{Kind: ingest.CloudTrail, Out: out}, inputs)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	skipped := func(rep *ingest.Report) []bool {
		var s []bool
		for _, f := range rep.Files {
			s = append(s, f.Skipped)
		}
		return s
	}
	if got := skipped(run(a, b)); !cmp.Equal(got, []bool{false, true}) {
		t.Errorf("first run skipped %v, want the copy skipped", got)
	}
	writeFile(t, c, rec+`{"eventTime":"2024-01-01T00:00:01Z","eventID":"e2"}`+"\n")
	if got := skipped(run(a, c)); !cmp.Equal(got, []bool{true, false}) {
		t.Errorf("second run skipped %v, want only the known input skipped", got)
	}
	// Cut the manifest's last line: that input is ingested again.
	m := filepath.Join(out, ingest.ManifestFile)
	data, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	if got := skipped(run(a, c)); !cmp.Equal(got, []bool{true, false}) {
		t.Errorf("after a torn manifest skipped %v, want the torn entry's input ingested again", got)
	}
}

// TestBatches writes a file per day and batch when the batch is small, and
// still counts every record.
func TestBatches(t *testing.T) {
	in := filepath.Join(t.TempDir(), "lines.json")
	var b strings.Builder
	for i := 0; i < 5; i++ {
		b.WriteString(`{"eventTime":"2024-01-01T00:00:0` + string(rune('0'+i)) + `Z","eventID":"e` + string(rune('0'+i)) + `"}` + "\n")
	}
	writeFile(t, in, b.String())
	out := t.TempDir()
	rep, err := ingest.Run(context.Background(), ingest.Options{Kind: ingest.CloudTrail, Out: out, BatchRows: 2}, []string{in})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"year=2024/month=01/day=01/part-0000.parquet",
		"year=2024/month=01/day=01/part-0001.parquet",
		"year=2024/month=01/day=01/part-0002.parquet",
	}
	if diff := cmp.Diff(want, parquetFiles(t, out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]counts{{File: "lines.json", Layout: "json lines", Read: 5, Written: 5}}, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// TestRejects checks that malformed records are counted and located, and
// that the records around them are written.
func TestRejects(t *testing.T) {
	dir := t.TempDir()
	ok := `{"eventTime":"2024-03-01T10:00:00Z","eventID":"ok"}`
	lines := ok + "\n" + // line 1, byte 0
		`{"eventTime":"2024-03-01T10:00:00Z","eventName":"Trunc` + "\n" + // line 2
		"  42\n" + // line 3
		`["a"]` + "\n" + // line 4
		ok + "\n" + // line 5
		`{"eventName":"NoTime"}` + "\n" + // line 6
		`{"eventTime":"yesterday"}` // line 7, no final newline
	writeFile(t, filepath.Join(dir, "a.jsonl"), lines)
	off := func(line int) int64 { // byte offset of a line's start
		return int64(len(strings.Join(strings.Split(lines, "\n")[:line-1], "\n")) + 1)
	}
	array := "[\n  " + ok + ",\n  7,\n  {\"eventTime\": \"2024-03-01T11:00:00Z\", \"a\": 1,},\n  " + ok + ",\n  {\"eventTime\": \"2024-03-01T12:00:00Z\", \"eventName\": \"Cut"
	writeFile(t, filepath.Join(dir, "b.json"), array)
	stream := "{\n  \"eventTime\": \"2024-03-01T10:00:00Z\",\n  \"eventID\": \"p1\"\n}\n{\n  \"eventTime\": \"2024-03-01T10:00:01Z\"\n}\n"
	writeFile(t, filepath.Join(dir, "c.json"), stream)
	writeFile(t, filepath.Join(dir, "d.json"), `{"Records": [`+ok+`, "x"]} trailing`)
	writeFile(t, filepath.Join(dir, "e.json"), "")

	rep, out := run(t, ingest.CloudTrail, filepath.Join(dir, "*.json*"))
	want := []counts{
		{File: "a.jsonl", Layout: "json lines", Read: 7, Written: 2, Rejected: 5},
		{File: "b.json", Layout: "json array", Read: 5, Written: 2, Rejected: 3},
		{File: "c.json", Layout: "json objects", Read: 2, Written: 2},
		{File: "d.json", Layout: "cloudtrail records", Read: 2, Written: 1, Rejected: 1},
		{File: "e.json", Layout: "empty"},
	}
	if diff := cmp.Diff(want, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	arrayLine := func(n int) int64 { return int64(len(strings.Join(strings.Split(array, "\n")[:n-1], "\n")) + 1 + 2) }
	wantRejects := map[string][]ingest.Reject{
		"a.jsonl": {
			{Line: 2, Offset: off(2), Reason: "malformed JSON: unexpected end of JSON input"},
			{Line: 3, Offset: off(3) + 2, Reason: "not an object: a JSON number"},
			{Line: 4, Offset: off(4), Reason: "not an object: a JSON array"},
			{Line: 6, Offset: off(6), Reason: "no event time: the record has no eventTime or @timestamp"},
			{Line: 7, Offset: off(7), Reason: `eventTime: "yesterday" is not a timestamp (want RFC 3339, such as 2024-01-31T12:00:00Z)`},
		},
		"b.json": {
			{Line: 3, Offset: arrayLine(3), Reason: "not an object: a JSON number"},
			{Line: 4, Offset: arrayLine(4), Reason: "malformed JSON: invalid character '}' looking for beginning of object key string"},
			{Line: 6, Offset: arrayLine(6), Reason: "truncated: the file ends inside this record"},
		},
		"d.json": {{Line: 1, Offset: int64(13 + len(ok) + 2), Reason: "not an object: a JSON string"}},
	}
	got := map[string][]ingest.Reject{}
	for _, f := range rep.Files {
		if len(f.Rejects) > 0 {
			got[filepath.Base(f.Path)] = f.Rejects
		}
	}
	if diff := cmp.Diff(wantRejects, got); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	if rep.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", rep.ExitCode())
	}
	rows := readBack(t, "cloudtrail", cloudtrailSource, out, `SELECT count(*) AS n FROM cloudtrail`)
	if diff := cmp.Diff([]map[string]any{{"n": int64(7)}}, rows); diff != "" {
		t.Errorf("rows written (-want +got):\n%s", diff)
	}
}

// TestUnreadable: a missing file, a glob matching nothing and a broken gzip
// file are reported (exit code 2) and the other inputs still ingested.
func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.json.gz"), "\x1f\x8bnot gzip at all")
	good := filepath.Join(dir, "good.json")
	writeFile(t, good, `{"eventTime":"2024-03-01T10:00:00Z"}`)
	rep, _ := run(t, ingest.CloudTrail, filepath.Join(dir, "missing.json"), filepath.Join(dir, "nothing*.json"), filepath.Join(dir, "bad.json.gz"), good)
	var got []string
	for _, f := range rep.Files {
		got = append(got, filepath.Base(f.Path)+" "+errString(f.Err))
	}
	want := []string{
		"missing.json stat " + filepath.Join(dir, "missing.json") + ": no such file or directory",
		"nothing*.json no file matches",
		"bad.json.gz gzip: gzip: invalid header",
		"good.json ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if _, written, _ := rep.Totals(); written != 1 || rep.ExitCode() != 2 {
		t.Errorf("written %d, exit code %d: want 1 and 2", written, rep.ExitCode())
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestEntraSignIn reads Microsoft Graph signIn objects and an Azure Monitor
// diagnostic export (columns under "properties") into the Sentinel columns.
func TestEntraSignIn(t *testing.T) {
	in := filepath.Join(t.TempDir(), "signins.json")
	writeFile(t, in, `[
{"id": "s1", "createdDateTime": "2024-05-01T23:30:00-02:00", "userPrincipalName": "ann@example.com", "ipAddress": "203.0.113.9",
 "status": {"errorCode": 50126, "failureReason": "Invalid password"}, "location": {"city": "Lyon", "countryOrRegion": "FR"},
 "appliedConditionalAccessPolicies": [], "isInteractive": true, "uniqueTokenIdentifier": "tok1"},
{"time": "2024-05-02T08:00:00Z", "category": "SignInLogs", "resultType": "0", "callerIpAddress": "198.51.100.1",
 "properties": {"id": "s2", "userPrincipalName": "bob@example.com", "isInteractive": false, "riskLevelDuringSignIn": "none"}},
{"TimeGenerated": "2024-05-02T09:00:00Z", "Id": "s3", "Location": "FR", "LocationDetails": "{\"city\":\"Paris\"}", "IsInteractive": "True"}
]`)
	rep, out := run(t, ingest.EntraSignIn, in)
	if diff := cmp.Diff([]counts{{File: "signins.json", Layout: "json array", Read: 3, Written: 3}}, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"year=2024/month=05/day=02/part-0000.parquet"}, parquetFiles(t, out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	rows := readBack(t, "entra-duckdb", ir.Logsource{Product: "azure", Service: "signinlogs"}, out,
		`SELECT Id AS id, strftime(TimeGenerated, '%Y-%m-%d %H:%M') AS t, UserPrincipalName AS upn, IPAddress AS ip,
		 json_extract_string(Status, '$.errorCode') AS code, json_extract_string(LocationDetails, '$.city') AS city,
		 IsInteractive AS interactive, ResultType AS result, Category AS cat, RiskLevelDuringSignIn AS risk,
		 UniqueTokenIdentifier AS uti, Location AS loc, _unmapped AS unmapped FROM SigninLogs ORDER BY id`)
	want := []map[string]any{
		{"id": "s1", "t": "2024-05-02 01:30", "upn": "ann@example.com", "ip": "203.0.113.9", "code": "50126", "city": "Lyon",
			"interactive": true, "result": nil, "cat": nil, "risk": nil, "uti": "tok1", "loc": nil, "unmapped": nil},
		{"id": "s2", "t": "2024-05-02 08:00", "upn": "bob@example.com", "ip": "198.51.100.1", "code": nil, "city": nil,
			"interactive": false, "result": "0", "cat": "SignInLogs", "risk": "none", "uti": nil, "loc": nil, "unmapped": `{"time":"2024-05-02T08:00:00Z"}`},
		{"id": "s3", "t": "2024-05-02 09:00", "upn": nil, "ip": nil, "code": nil, "city": "Paris",
			"interactive": true, "result": nil, "cat": nil, "risk": nil, "uti": nil, "loc": "FR", "unmapped": nil},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestGCP reads LogEntry lines, keeps protoPayload as JSON text, and gives
// SigmaHQ's GCP audit rules the same matches as the raw lines.
func TestGCP(t *testing.T) {
	in := filepath.Join(t.TempDir(), "audit.json")
	writeFile(t, in, `{"insertId":"g1","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2024-02-29T23:59:59.999999999Z","receiveTimestamp":"2024-03-01T00:00:01Z","severity":"NOTICE","resource":{"type":"service_account","labels":{"project_id":"p"}},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.IAM.serviceAccounts.delete","authenticationInfo":{"principalEmail":"eve@example.com"},"requestMetadata":{"callerIp":"203.0.113.5"}},"operation":{"id":"op1","first":true}}
{"insertId":"g2","timestamp":"2024-03-01T09:00:00Z","protoPayload":{"serviceName":"storage.googleapis.com","methodName":"storage.buckets.list"}}
{"insertId":"g3","timestamp":"2024-03-01T09:00:01Z","protoPayload":{"serviceName":"storage.googleapis.com","methodName":"storage.objects.get"}}
`)
	rep, out := run(t, ingest.GCPAudit, in)
	if diff := cmp.Diff([]counts{{File: "audit.json", Layout: "json lines", Read: 3, Written: 3}}, summary(rep)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"year=2024/month=02/day=29/part-0000.parquet", "year=2024/month=03/day=01/part-0000.parquet"}, parquetFiles(t, out)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	rows := readBack(t, "gcp-duckdb", ir.Logsource{Product: "gcp", Service: "gcp.audit"}, out,
		`SELECT insertId AS id, json_extract_string(protoPayload, '$.authenticationInfo.principalEmail') AS who,
		 json_extract_string(resource, '$.type') AS rtype, operation.first AS first FROM gcp_audit ORDER BY id`)
	want := []map[string]any{
		{"id": "g1", "who": "eve@example.com", "rtype": "service_account", "first": true},
		{"id": "g2", "who": nil, "rtype": nil, "first": nil},
		{"id": "g3", "who": nil, "rtype": nil, "first": nil},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	skipWithout(t, sigmaCloud)
	rules := []string{sigmaCloud + "/gcp/audit"}
	raw, nraw := matches(t, "gcp-duckdb", rules, []string{in})
	pq, _ := matches(t, "gcp-duckdb", rules, []string{filepath.Join(out, "*/*/*/*.parquet")})
	if nraw != 2 {
		t.Errorf("%d matches on the raw lines, want 2: %v", nraw, raw)
	}
	if diff := cmp.Diff(raw, pq); diff != "" {
		t.Errorf("matched insertIds, raw JSON (-) vs Parquet (+):\n%s", diff)
	}
}
