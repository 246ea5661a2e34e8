package response

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func doc(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Step
		err  string
	}{
		{"none", "title: x\n", nil, ""},
		{"steps", "title: x\nresponse:\n  - description: Deactivate\n    command: aws iam update-access-key --access-key-id {{userIdentity.accessKeyId}} --status Inactive\n",
			[]Step{{Description: "Deactivate", Command: "aws iam update-access-key --access-key-id {{userIdentity.accessKeyId}} --status Inactive"}}, ""},
		{"not a list", "response: revoke\n", nil, "response must be a list of steps"},
		{"empty list", "response: []\n", nil, "response must be a list of steps"},
		{"step not a mapping", "response:\n  - revoke\n", nil, "a response step must be a mapping"},
		{"unknown key", "response:\n  - {description: a, command: b, run: true}\n", nil, `unknown response step key "run"`},
		{"no command", "response:\n  - {description: a}\n", nil, "needs a description and a command"},
		{"bad placeholder", "response:\n  - {description: a, command: 'x {{user name}}'}\n", nil, "malformed placeholder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("r.yml", "id", doc(t, tt.text))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if !strings.HasPrefix(err.Error(), "r.yml:") {
					t.Errorf("error %q does not give the position", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFill(t *testing.T) {
	values := map[string]string{"UserId": "6e1b3f5a-0c2d-4e8f-9a7b-1c2d3e4f5a6b", "userIdentity.userName": "bob; rm -rf /", "arn": "arn:aws:iam::111122223333:role/x"}
	lookup := func(f string) (string, bool) { v, ok := values[f]; return v, ok }
	tests := []struct{ in, want string }{
		{"az rest --url https://graph.microsoft.com/v1.0/users/{{UserId}}/revokeSignInSessions", "az rest --url https://graph.microsoft.com/v1.0/users/6e1b3f5a-0c2d-4e8f-9a7b-1c2d3e4f5a6b/revokeSignInSessions"},
		{"aws iam x --user-name {{ userIdentity.userName }}", `aws iam x --user-name 'bob; rm -rf /'`},
		{"basename {{arn}}", "basename arn:aws:iam::111122223333:role/x"},
		{"x --key {{missing}}", "x --key <missing>"},
	}
	for _, tt := range tests {
		if got := Fill(tt.in, lookup); got != tt.want {
			t.Errorf("Fill(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if diff := cmp.Diff([]string{"UserId", "userIdentity.userName"}, Fields("a {{UserId}} b {{ userIdentity.userName }}")); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
}
