package bigquery

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	bq "cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
)

// rowMap names a row's values by the schema's columns and turns them into
// plain Go values (the package doc has the table).
func rowMap(schema bq.Schema, row []bq.Value) (map[string]any, error) {
	if len(row) != len(schema) {
		return nil, fmt.Errorf("a row of %d values for %d columns", len(row), len(schema))
	}
	m := make(map[string]any, len(row))
	for i, f := range schema {
		v, err := fieldValue(f, row[i])
		if err != nil {
			return nil, err
		}
		m[f.Name] = v
	}
	return m, nil
}

// fieldValue converts the value of field f (an array when f is repeated).
func fieldValue(f *bq.FieldSchema, v bq.Value) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !f.Repeated {
		return scalar(f, v)
	}
	vs, ok := v.([]bq.Value)
	if !ok {
		return nil, fmt.Errorf("column %s: an array of type %T", f.Name, v)
	}
	out := make([]any, len(vs))
	for i, x := range vs {
		y, err := scalar(f, x)
		if err != nil {
			return nil, err
		}
		out[i] = y
	}
	return out, nil
}

// scalar converts one value of f's type.
func scalar(f *bq.FieldSchema, v bq.Value) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if f.Type == bq.JSONFieldType {
			var d any
			if err := json.Unmarshal([]byte(x), &d); err != nil {
				return nil, fmt.Errorf("column %s: JSON value: %w", f.Name, err)
			}
			return d, nil
		}
		return x, nil
	case int64, float64, bool:
		return x, nil
	case time.Time:
		return x.UTC(), nil
	case civil.DateTime:
		return x.In(time.UTC), nil
	case civil.Date:
		return x.In(time.UTC), nil
	case civil.Time:
		return x.String(), nil
	case *big.Rat:
		fl, _ := x.Float64()
		return fl, nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case *bq.IntervalValue:
		return x.String(), nil
	case *bq.RangeValue:
		return rangeText(x), nil
	case []bq.Value:
		if f.Type != bq.RecordFieldType {
			return nil, fmt.Errorf("column %s: a list for a %s value", f.Name, f.Type)
		}
		if len(x) != len(f.Schema) {
			return nil, fmt.Errorf("column %s: a struct of %d values for %d fields", f.Name, len(x), len(f.Schema))
		}
		m := make(map[string]any, len(x))
		for i, sub := range f.Schema {
			y, err := fieldValue(sub, x[i])
			if err != nil {
				return nil, err
			}
			m[sub.Name] = y
		}
		return m, nil
	default:
		return nil, fmt.Errorf("column %s: a %s value of Go type %T", f.Name, f.Type, v)
	}
}

// rangeText prints a RANGE as BigQuery does: [start, end), UNBOUNDED for a
// missing end.
func rangeText(r *bq.RangeValue) string {
	end := func(v bq.Value) string {
		switch x := v.(type) {
		case nil:
			return "UNBOUNDED"
		case time.Time:
			return x.UTC().Format("2006-01-02 15:04:05.999999") + " UTC"
		case fmt.Stringer:
			return x.String()
		}
		return fmt.Sprint(v)
	}
	return "[" + end(r.Start) + ", " + end(r.End) + ")"
}
