package simulate

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends JSON to a byte slice without reflection. Keys are written in the
// order given, so records keep the field order of the real logs. A value
// written after another value at the same level gets its comma
// automatically.
type jw struct {
	b     []byte
	comma bool
}

func (w *jw) pre() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jw) key(k string) {
	w.pre()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...) // keys are literals: no escaping needed
	w.b = append(w.b, '"', ':')
	w.comma = false
}

func (w *jw) open()   { w.pre(); w.b = append(w.b, '{'); w.comma = false }
func (w *jw) close()  { w.b = append(w.b, '}'); w.comma = true }
func (w *jw) openA()  { w.pre(); w.b = append(w.b, '['); w.comma = false }
func (w *jw) closeA() { w.b = append(w.b, ']'); w.comma = true }

func (w *jw) str(s string) { w.pre(); w.b = appendJSONString(w.b, s); w.comma = true }
func (w *jw) int(n int64)  { w.pre(); w.b = strconv.AppendInt(w.b, n, 10); w.comma = true }
func (w *jw) float(f float64) {
	w.pre()
	w.b = strconv.AppendFloat(w.b, f, 'f', -1, 64)
	w.comma = true
}
func (w *jw) bool(v bool)   { w.pre(); w.b = strconv.AppendBool(w.b, v); w.comma = true }
func (w *jw) null()         { w.pre(); w.b = append(w.b, "null"...); w.comma = true }
func (w *jw) raw(v []byte)  { w.pre(); w.b = append(w.b, v...); w.comma = true }
func (w *jw) rawS(v string) { w.pre(); w.b = append(w.b, v...); w.comma = true }

func (w *jw) kstr(k, v string)       { w.key(k); w.str(v) }
func (w *jw) kint(k string, v int64) { w.key(k); w.int(v) }
func (w *jw) kbool(k string, v bool) { w.key(k); w.bool(v) }

// kstrOmit writes k only when v is not empty.
func (w *jw) kstrOmit(k, v string) {
	if v != "" {
		w.kstr(k, v)
	}
}

// time writes t in the given layout as a JSON string.
func (w *jw) time(t time.Time, layout string) {
	w.pre()
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, layout)
	w.b = append(w.b, '"')
	w.comma = true
}

// reset empties the buffer for reuse.
func (w *jw) reset() { w.b = w.b[:0]; w.comma = false }

// bytes returns a copy of the buffer.
func (w *jw) bytes() []byte { return append([]byte(nil), w.b...) }

const hexUpper = "0123456789ABCDEF"

// appendJSONString appends s quoted and escaped as encoding/json would
// (without HTML escaping).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexUpper[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Time layouts of the logs.
const (
	layoutCT     = "2006-01-02T15:04:05Z"           // CloudTrail eventTime
	layoutEntra  = "2006-01-02T15:04:05.0000000Z"   // Sentinel TimeGenerated (7 digits)
	layoutGCP    = "2006-01-02T15:04:05.000000000Z" // LogEntry timestamp (nanoseconds)
	layoutProxy  = "2006-01-02T15:04:05.000Z"
	layoutCILine = "2006-01-02T15:04:05.0000000Z"
	// AWS's human-readable date in STS responses: "Jul 30, 2024, 9:46:15 PM".
	layoutSTSExpiry = "Jan 2, 2006, 3:04:05 PM"
	// IAM responses: "Jul 30, 2024 9:53:13 PM".
	layoutIAMDate = "Jan 2, 2006 3:04:05 PM"
)
