package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in   string
		gone, kept []string
	}{
		{"temporary key", "key ASIAEXAMPLE7QXZ4M2P used", []string{"ASIAEXAMPLE7QXZ4M2P"}, []string{"key ASIA…#", " used"}},
		{"long-term key", `{"accessKeyId":"AKIAIOSFODNN7EXAMPLE"}`, []string{"AKIAIOSFODNN7EXAMPLE"}, []string{`"accessKeyId":"AKIA…#`}},
		{"session token field", `"sessionToken": "IQoJb3JpZ2luX2VjEOH//////////wEaCXVzLWVhc3QtMSJIMEYCIQ"`, []string{"IQoJb3JpZ2luX2VjEOH"}, []string{`"sessionToken": "`}},
		{"bare session token", "export AWS_SESSION_TOKEN FwoGZXIvYXdzEJr//////////wEaDM1o2", []string{"FwoGZXIvYXdzEJr"}, []string{"export AWS_SESSION_TOKEN "}},
		{"jwt", "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwczovL2dyYXBo.sig-nature_x", []string{"eyJ0eXAiOiJKV1QiLCJhbGciOi"}, []string{"Authorization: Bearer "}},
		{"google token", "token=ya29.a0AfH6SMBx3kD9Qw_example_token_value", []string{"ya29.a0AfH6SMBx3kD9Qw"}, []string{"token="}},
		{"plain text untouched", "AssumeRole by arn:aws:iam::111122223333:role/ci from 203.0.113.7", nil, []string{"AssumeRole by arn:aws:iam::111122223333:role/ci from 203.0.113.7"}},
	}
	for _, tt := range tests {
		got := String(tt.in)
		for _, g := range tt.gone {
			if strings.Contains(got, g) {
				t.Errorf("%s: %q still contains %q", tt.name, got, g)
			}
		}
		for _, k := range tt.kept {
			if !strings.Contains(got, k) {
				t.Errorf("%s: %q lost %q", tt.name, got, k)
			}
		}
	}
}

func TestValueIsStable(t *testing.T) {
	a, b := Value("ASIAEXAMPLE7QXZ4M2P"), Value("ASIAEXAMPLE7QXZ4M2P")
	if a != b {
		t.Errorf("same secret redacts differently: %q %q", a, b)
	}
	if c := Value("ASIAEXAMPLE7QXZ4M2Q"); c == a {
		t.Errorf("different secrets redact the same: %q", c)
	}
	if !strings.HasPrefix(a, "ASIA…#") || len(a) != len("ASIA…#")+8 {
		t.Errorf("Value = %q, want ASIA…# and 8 hex digits", a)
	}
}

func TestAnyRedactsSensitiveKeys(t *testing.T) {
	in := map[string]any{
		"responseElements": map[string]any{"credentials": map[string]any{"sessionToken": "short-but-secret", "accessKeyId": "ASIAEXAMPLE7QXZ4M2P"}},
		"list":             []any{"AKIAIOSFODNN7EXAMPLE", 5},
		"eventName":        "GetSessionToken",
	}
	out := Any(in).(map[string]any)
	creds := out["responseElements"].(map[string]any)["credentials"].(map[string]any)
	if creds["sessionToken"] == "short-but-secret" || creds["accessKeyId"] == "ASIAEXAMPLE7QXZ4M2P" {
		t.Errorf("credentials not redacted: %v", creds)
	}
	if out["list"].([]any)[0] == "AKIAIOSFODNN7EXAMPLE" || out["list"].([]any)[1] != 5 {
		t.Errorf("list: %v", out["list"])
	}
	if out["eventName"] != "GetSessionToken" {
		t.Errorf("eventName changed: %v", out["eventName"])
	}
	if in["eventName"] != "GetSessionToken" || in["list"].([]any)[0] != "AKIAIOSFODNN7EXAMPLE" {
		t.Error("input was modified")
	}
}
