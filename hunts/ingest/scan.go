package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// File layouts, told apart by a file's first bytes (after gzip).
const (
	layoutRecords = "cloudtrail records" // {"Records": [ {...}, ... ]}
	layoutArray   = "json array"         // [ {...}, ... ]
	layoutLines   = "json lines"         // one record a line
	layoutStream  = "json objects"       // objects one after another, spread over lines
	layoutEmpty   = "empty"
)

// candidate is one record as found in a file, not yet decoded: its bytes,
// where it starts, and why it is malformed (problem != "") if the scanner
// already knows.
type candidate struct {
	raw     []byte
	offset  int64 // byte offset of its first byte, in the (decompressed) data
	line    int   // 1-based line of its first byte
	problem string
}

// scanner splits a file into candidate records without holding more than
// one record in memory.
type scanner struct {
	r        *bufio.Reader
	off      int64
	line     int
	layout   string
	started  bool
	finished bool
	// lastErr is an I/O or decompression error: the rest of the file cannot
	// be read.
	lastErr error
}

const peekSize = 1 << 20

// newScanner reads gzip-compressed data transparently and finds the layout.
func newScanner(r io.Reader) (*scanner, error) {
	br := bufio.NewReaderSize(r, peekSize)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReaderSize(gz, peekSize)
	}
	s := &scanner{r: br, line: 1}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		s.discard(3)
	}
	if err := s.detect(); err != nil {
		return nil, err
	}
	return s, nil
}

// discard consumes n peeked bytes, keeping the position.
func (s *scanner) discard(n int) {
	b, _ := s.r.Peek(n)
	s.advance(b)
	s.r.Discard(len(b))
}

func (s *scanner) advance(b []byte) {
	s.off += int64(len(b))
	s.line += bytes.Count(b, []byte{'\n'})
}

func (s *scanner) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.lastErr = err
		}
		return 0, err
	}
	s.off++
	if c == '\n' {
		s.line++
	}
	return c, nil
}

func (s *scanner) unread() {
	s.r.UnreadByte()
	s.off--
	if b, _ := s.r.Peek(1); len(b) == 1 && b[0] == '\n' {
		s.line--
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace consumes white space and returns the next byte without
// consuming it.
func (s *scanner) skipSpace() (byte, error) {
	for {
		c, err := s.readByte()
		if err != nil {
			return 0, err
		}
		if !isSpace(c) {
			s.unread()
			return c, nil
		}
	}
}

// detect finds the layout and consumes a CloudTrail header or an array's
// opening bracket.
func (s *scanner) detect() error {
	c, err := s.skipSpace()
	if errors.Is(err, io.EOF) {
		s.layout = layoutEmpty
		return nil
	}
	if err != nil {
		return err
	}
	switch c {
	case '[':
		s.readByte()
		s.layout = layoutArray
		return nil
	case '{':
		head, _ := s.r.Peek(peekSize)
		if n := recordsHeader(head); n > 0 {
			s.discard(n)
			s.layout = layoutRecords
			return nil
		}
		first := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			first = head[:i]
		}
		first = bytes.TrimSpace(first)
		if len(first) > 0 {
			last := first[len(first)-1]
			if len(first) == 1 || last == ',' || last == '{' || last == '[' {
				// A pretty-printed object: records span lines.
				s.layout = layoutStream
				return nil
			}
		}
	}
	s.layout = layoutLines
	return nil
}

// recordsHeader is the length of `{ "Records" : [` at the start of b, or 0.
func recordsHeader(b []byte) int {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	expect := func(lit string) bool {
		skip()
		if !bytes.HasPrefix(b[i:], []byte(lit)) {
			return false
		}
		i += len(lit)
		return true
	}
	if expect("{") && expect(`"Records"`) && expect(":") && expect("[") {
		return i
	}
	return 0
}

// next returns the next candidate record, or ok false at the end of the
// records (or at an I/O error, in s.lastErr).
func (s *scanner) next() (c candidate, ok bool) {
	if s.finished {
		return candidate{}, false
	}
	switch s.layout {
	case layoutEmpty:
		s.finished = true
		return candidate{}, false
	case layoutLines:
		return s.nextLine()
	case layoutStream:
		b, err := s.skipSpace()
		if err != nil {
			s.finished = true
			return candidate{}, false
		}
		_ = b
		return s.value(), true
	}
	// Array or Records: elements separated by commas.
	b, err := s.skipSpace()
	if err != nil {
		s.finished = true
		if s.lastErr == nil {
			return candidate{offset: s.off, line: s.line, problem: "truncated: the file ends inside the array"}, true
		}
		return candidate{}, false
	}
	if s.started {
		switch b {
		case ',':
			s.readByte()
			if b, err = s.skipSpace(); err != nil {
				s.finished = true
				if s.lastErr == nil {
					return candidate{offset: s.off, line: s.line, problem: "truncated: the file ends after a comma"}, true
				}
				return candidate{}, false
			}
		case ']':
			return s.end()
		default:
			// Missing comma: report the junk as one record and go on.
			c := s.value()
			if c.problem == "" {
				c.problem = "expected , or ] before this record"
			}
			return c, true
		}
	} else if b == ']' {
		return s.end()
	}
	s.started = true
	return s.value(), true
}

// end consumes the closing bracket and what may follow it; data after the
// end (other than the rest of a CloudTrail object) is reported.
func (s *scanner) end() (candidate, bool) {
	s.readByte()
	s.finished = true
	if s.layout == layoutRecords {
		// The rest of {"Records": [...], ...}: other keys are not records.
		io.Copy(io.Discard, s.r)
		return candidate{}, false
	}
	b, err := s.skipSpace()
	if err != nil {
		return candidate{}, false
	}
	_ = b
	off, line := s.off, s.line
	n, _ := io.Copy(io.Discard, s.r)
	return candidate{offset: off, line: line, problem: fmt.Sprintf("%d bytes of data after the end of the array", n)}, true
}

// nextLine returns the next non-blank line as a candidate.
func (s *scanner) nextLine() (candidate, bool) {
	for {
		off, line := s.off, s.line
		b, err := s.r.ReadBytes('\n')
		s.advance(b)
		if err != nil && !errors.Is(err, io.EOF) {
			s.lastErr = err
			s.finished = true
			return candidate{}, false
		}
		trimmed := bytes.TrimLeft(b, " \t\r\n")
		off += int64(len(b) - len(trimmed))
		trimmed = bytes.TrimRight(trimmed, " \t\r\n")
		if len(trimmed) > 0 {
			if err != nil {
				s.finished = true
			}
			return candidate{raw: trimmed, offset: off, line: line}, true
		}
		if err != nil {
			s.finished = true
			return candidate{}, false
		}
	}
}

// value reads one JSON value starting at the current (non-space) byte: an
// object or array by matching brackets outside strings, a string, or a
// bare scalar. A raw line break inside a string marks the value malformed
// (JSON strings cannot hold one), and the string is taken to end there.
func (s *scanner) value() candidate {
	c := candidate{offset: s.off, line: s.line}
	var buf bytes.Buffer
	first, _ := s.readByte()
	buf.WriteByte(first)
	switch first {
	case '{', '[':
		depth, inString, escaped := 1, false, false
		for depth > 0 {
			b, err := s.readByte()
			if err != nil {
				c.raw = buf.Bytes()
				s.finished = true
				if c.problem == "" {
					c.problem = "truncated: the file ends inside this record"
				}
				return c
			}
			buf.WriteByte(b)
			switch {
			case inString && escaped:
				escaped = false
			case inString && b == '\\':
				escaped = true
			case inString && b == '"':
				inString = false
			case inString && b == '\n':
				inString = false
				if c.problem == "" {
					c.problem = fmt.Sprintf("a string is not closed before line %d", s.line)
				}
			case inString:
			case b == '"':
				inString = true
			case b == '{' || b == '[':
				depth++
			case b == '}' || b == ']':
				depth--
			}
		}
	case '"':
		escaped := false
		for {
			b, err := s.readByte()
			if err != nil {
				c.problem = "truncated: the file ends inside a string"
				s.finished = true
				break
			}
			buf.WriteByte(b)
			if escaped {
				escaped = false
			} else if b == '\\' {
				escaped = true
			} else if b == '"' || b == '\n' {
				break
			}
		}
	default:
		for {
			b, err := s.readByte()
			if err != nil {
				break
			}
			if isSpace(b) || b == ',' || b == ']' || b == '}' || b == '{' || b == '[' {
				s.unread()
				break
			}
			buf.WriteByte(b)
		}
	}
	c.raw = buf.Bytes()
	return c
}
