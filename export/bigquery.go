package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/tokenhunt/tokenhunt/compiler/ir"
)

// bqSchedule writes an interval in the schedule syntax of the BigQuery
// Data Transfer Service: "every 1 hours", "every 15 minutes".
func bqSchedule(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("every %d hours", d/time.Hour)
	}
	return fmt.Sprintf("every %d minutes", max(d/time.Minute, 15))
}

// hclString quotes a string for HCL: JSON escapes, with template
// sequences (${ and %{) escaped.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hclHeredoc writes a multi-line string as an HCL heredoc, template
// sequences escaped.
func hclHeredoc(s string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	s = strings.ReplaceAll(s, "%{", "%%{")
	marker := "EOT"
	for strings.Contains(s, marker) {
		marker += "X"
	}
	return "<<" + marker + "\n" + s + "\n" + marker
}

func bigqueryFiles(items []*item, opt Options) ([]File, ir.Errors) {
	var errs ir.Errors
	var files []File
	var tf strings.Builder
	if opt.Format == "terraform" {
		tf.WriteString(`# tokenhunt detection rules as BigQuery scheduled queries. Each run writes the
# findings of the window (@run_time - interval, @run_time] to its own table
# of var.dataset. Apply: terraform init && terraform apply -var project=P -var dataset=D

variable "project" {
  type        = string
  description = "The Google Cloud project of the scheduled queries"
}

variable "dataset" {
  type        = string
  description = "The dataset that holds the log tables and receives the findings tables"
}

variable "location" {
  type        = string
  default     = "US"
  description = "The dataset's location"
}
`)
	}
	for _, it := range items {
		q, err := bigqueryQuery(it, opt)
		if err != nil {
			errs = append(errs, asErrors(err, it.Pos, it.ID)...)
			continue
		}
		params := map[string]string{
			"query":                           q,
			"destination_table_name_template": bigqueryTable(it),
			"write_disposition":               "WRITE_APPEND",
		}
		if opt.Format == "transfer-config" {
			data, err := marshalJSON(params)
			if err != nil {
				return nil, ir.Errors{{Pos: it.Pos, RuleID: it.ID, Msg: err.Error()}}
			}
			files = append(files, File{Path: "bigquery/" + fileName(it) + ".json", Data: data})
			continue
		}
		fmt.Fprintf(&tf, "\n# %s\n", strings.Join(metadataLines(it, opt), "\n# "))
		fmt.Fprintf(&tf, "resource \"google_bigquery_data_transfer_config\" %q {\n", strings.ToLower(logicalID(it)))
		fmt.Fprintf(&tf, "  project                = var.project\n")
		fmt.Fprintf(&tf, "  display_name           = %s\n", hclString(truncate("tokenhunt "+it.Title, 100)))
		fmt.Fprintf(&tf, "  location               = var.location\n")
		fmt.Fprintf(&tf, "  data_source_id         = \"scheduled_query\"\n")
		fmt.Fprintf(&tf, "  schedule               = %q\n", bqSchedule(opt.Interval))
		fmt.Fprintf(&tf, "  destination_dataset_id = var.dataset\n")
		fmt.Fprintf(&tf, "  params = {\n")
		fmt.Fprintf(&tf, "    destination_table_name_template = %q\n", params["destination_table_name_template"])
		fmt.Fprintf(&tf, "    write_disposition               = %q\n", params["write_disposition"])
		fmt.Fprintf(&tf, "    query                           = %s\n", hclHeredoc(q))
		fmt.Fprintf(&tf, "  }\n}\n")
	}
	if opt.Format == "terraform" {
		files = append(files, File{Path: "bigquery/tokenhunt_scheduled_queries.tf", Data: []byte(tf.String())})
	}
	return files, errs
}
