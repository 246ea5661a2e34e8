package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand: export writes one artefact per rule under -o, and a
// wrong target or a missing -o is a usage error.
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	cmd := newExport()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"-t", "sentinel", "--format", "arm", "-p", "sentinel-awscloudtrail", "-o", dir, "../../rules/aws/cloudtrail/aws_iam_admin_policy_attached.yml"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("export: %v\n%s", err, errOut.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "sentinel", "*.json"))
	if len(files) != 1 {
		t.Fatalf("wrote %v, want one ARM template", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil || !bytes.Contains(data, []byte("Microsoft.OperationalInsights/workspaces/providers/alertRules")) {
		t.Errorf("%s: %v\n%s", files[0], err, data)
	}
	for _, args := range [][]string{
		{"-t", "splunk", "-o", dir, "../../rules/aws"},
		{"-t", "athena", "--format", "yaml", "-o", dir, "-p", "cloudtrail-athena", "../../rules/aws"},
		{"-t", "athena", "-p", "cloudtrail-athena", "../../rules/aws"},
	} {
		cmd := newExport()
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(args)
		err := cmd.Execute()
		ee, ok := err.(*exitError)
		if !ok || ee.code != 2 {
			t.Errorf("%s: got %v, want a usage error (exit 2)", strings.Join(args, " "), err)
		}
	}
}
