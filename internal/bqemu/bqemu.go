// Package bqemu is a test client of the BigQuery emulator
// (github.com/goccy/bigquery-emulator, built by `make tools` into
// bin/bigquery-emulator): it starts the emulator on a loopback port and
// speaks its REST API with plain net/http, so that no BigQuery client
// library enters go.mod. Tests of several packages run queries through it.
package bqemu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Project is the emulator's project id.
const Project = "tokenhunt"

const project = Project

// Emulator is a running emulator process on a loopback port.
type Emulator struct {
	url    string // http://127.0.0.1:port
	base   string // http://127.0.0.1:port/bigquery/v2/projects/<project>
	client *http.Client
}

// URL is the emulator's REST root (http://127.0.0.1:port), the endpoint a
// BigQuery client library is given (option.WithEndpoint).
func (e *Emulator) URL() string { return e.url }

// Start starts the emulator (the binary at bin) on 127.0.0.1 with ports the kernel
// picks, and stops it when the test ends. Without the binary the test fails
// (run `make tools`), or skips when TOKENHUNT_SKIP_TOOLS=1.
func Start(t testing.TB, bin string) *Emulator {
	t.Helper()
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("TOKENHUNT_SKIP_TOOLS") == "1" {
			t.Skipf("BigQuery emulator not found at %s (TOKENHUNT_SKIP_TOOLS=1)", bin)
		}
		t.Fatalf("BigQuery emulator not found at %s: run `make tools`", bin)
	}
	cmd := exec.Command(bin, "--project="+project, "--host=127.0.0.1", "--port=0", "--grpc-port=0", "--log-level=error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// The emulator prints the bound address:
	// [bigquery-emulator] REST server listening at 127.0.0.1:41234
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		const marker = "REST server listening at "
		for sc.Scan() {
			if i := strings.Index(sc.Text(), marker); i >= 0 {
				addr <- strings.TrimSpace(sc.Text()[i+len(marker):])
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("the emulator exited before listening: %s", stderr.String())
		}
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Fatalf("the emulator listens at %s, not on the loopback interface", a)
		}
		return &Emulator{
			url:    "http://" + a,
			base:   "http://" + a + "/bigquery/v2/projects/" + project,
			client: &http.Client{Timeout: 2 * time.Minute},
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the emulator did not start within 2 minutes: %s", stderr.String())
	}
	return nil
}

// APIError is an error the REST API answered with.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// Call sends a JSON request and decodes the JSON answer into out.
func (e *Emulator) Call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var eb struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Error.Message != "" {
			return &APIError{Status: resp.StatusCode, Message: eb.Error.Message}
		}
		return &APIError{Status: resp.StatusCode, Message: strings.TrimSpace(string(data))}
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(out)
}

// Field is a column of a table schema (tables.insert's TableFieldSchema).
type Field struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // STRING, INT64, FLOAT64, BOOL, TIMESTAMP, RECORD (the REST spelling of STRUCT)
	Mode   string   `json:"mode,omitempty"`
	Fields []*Field `json:"fields,omitempty"`
}

// CreateDataset creates a dataset of Project.
func (e *Emulator) CreateDataset(ctx context.Context, dataset string) error {
	return e.Call(ctx, "POST", "/datasets", map[string]any{
		"datasetReference": map[string]string{"projectId": project, "datasetId": dataset},
	}, nil)
}

// CreateTable creates a table with a schema (the emulator cannot infer one).
func (e *Emulator) CreateTable(ctx context.Context, dataset, table string, schema []*Field) error {
	return e.Call(ctx, "POST", "/datasets/"+dataset+"/tables", map[string]any{
		"tableReference": map[string]string{"projectId": project, "datasetId": dataset, "tableId": table},
		"schema":         map[string]any{"fields": schema},
	}, nil)
}

// Insert streams rows into a table (tabledata.insertAll).
func (e *Emulator) Insert(ctx context.Context, dataset, table string, rows []map[string]any) error {
	if len(rows) == 0 {
		return nil
	}
	type row struct {
		InsertID string         `json:"insertId"`
		JSON     map[string]any `json:"json"`
	}
	req := struct {
		Rows []row `json:"rows"`
	}{}
	for i, r := range rows {
		req.Rows = append(req.Rows, row{InsertID: fmt.Sprint(i), JSON: r})
	}
	var resp struct {
		InsertErrors []struct {
			Index  int `json:"index"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"insertErrors"`
	}
	if err := e.Call(ctx, "POST", "/datasets/"+dataset+"/tables/"+table+"/insertAll", req, &resp); err != nil {
		return err
	}
	if len(resp.InsertErrors) > 0 {
		return fmt.Errorf("insertAll: %+v", resp.InsertErrors)
	}
	return nil
}

// queryResult is what jobs.query answers.
type queryResult struct {
	Schema struct {
		Fields []*Field `json:"fields"`
	} `json:"schema"`
	Rows []struct {
		F []struct {
			V any `json:"v"`
		} `json:"f"`
	} `json:"rows"`
	JobComplete bool `json:"jobComplete"`
}

// Query runs GoogleSQL with a default dataset (jobs.query) and returns the
// rows as maps from top-level column name to the value as the API encodes
// it (scalars as strings, NULL as nil).
func (e *Emulator) Query(ctx context.Context, dataset, sql string) ([]map[string]any, error) {
	req := map[string]any{
		"query":        sql,
		"useLegacySql": false,
		"timeoutMs":    120000,
		"maxResults":   100000,
	}
	if dataset != "" {
		req["defaultDataset"] = map[string]string{"projectId": project, "datasetId": dataset}
	}
	var res queryResult
	if err := e.Call(ctx, "POST", "/queries", req, &res); err != nil {
		return nil, err
	}
	if !res.JobComplete {
		return nil, fmt.Errorf("the query did not complete")
	}
	out := make([]map[string]any, 0, len(res.Rows))
	for _, r := range res.Rows {
		m := map[string]any{}
		for i, f := range res.Schema.Fields {
			if i < len(r.F) {
				m[f.Name] = r.F[i].V
			}
		}
		out = append(out, m)
	}
	return out, nil
}
