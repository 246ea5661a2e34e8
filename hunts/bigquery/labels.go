package bigquery

import (
	"fmt"
	"sort"
	"strings"
)

// maxLabels is the most labels a BigQuery job may carry.
const maxLabels = 64

// maxLabelLen is the longest key or value BigQuery accepts.
const maxLabelLen = 63

// SanitizeLabels makes labels BigQuery accepts: keys and values lower-case
// with every character outside [a-z0-9_-] replaced by '_', cut to 63
// characters; a key that does not start with a letter gets the prefix "l_";
// an empty key is dropped. When two keys sanitise to the same key, the first
// in sorted order of the original keys wins. More than 64 labels is an error.
func SanitizeLabels(labels map[string]string) (map[string]string, error) {
	if len(labels) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(labels))
	for _, k := range keys {
		key := labelText(k)
		if key == "" {
			continue
		}
		if key[0] < 'a' || key[0] > 'z' {
			key = cut("l_" + key)
		}
		if _, dup := out[key]; dup {
			continue
		}
		out[key] = labelText(labels[k])
	}
	if len(out) > maxLabels {
		return nil, fmt.Errorf("bigquery: %d job labels; BigQuery allows at most %d", len(out), maxLabels)
	}
	return out, nil
}

// labelText lower-cases s and replaces what a label may not hold with '_'.
func labelText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return cut(b.String())
}

// cut shortens an ASCII label to the length BigQuery allows.
func cut(s string) string {
	if len(s) > maxLabelLen {
		return s[:maxLabelLen]
	}
	return s
}
