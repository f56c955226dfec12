package record

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a record: Steward's records nest four
// levels at most, and a deeper body is an attack on the stack, not data.
const maxDepth = 32

// checkJSON refuses what encoding/json would accept only by altering it:
// invalid UTF-8 and unpaired UTF-16 surrogate escapes (which it turns into
// U+FFFD) and a key given twice in one object (of which it keeps the last).
// SPEC 2: bad input is never silently altered. Syntax errors are left to
// the decoder, which names them better.
func checkJSON(raw []byte) error {
	if !utf8.Valid(raw) {
		i := 0
		for i < len(raw) {
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return &FieldError{Msg: fmt.Sprintf("not valid UTF-8 (byte %d)", i)}
	}
	s := jsonScanner{data: raw}
	s.value("", 0)
	return s.err
}

// jsonScanner walks a JSON text just far enough to find what checkJSON
// refuses. It stops quietly at malformed input.
type jsonScanner struct {
	data []byte
	pos  int
	err  error
	stop bool
}

func (s *jsonScanner) fail(field, msg string) {
	if s.err == nil {
		s.err = &FieldError{Field: field, Msg: msg}
	}
	s.stop = true
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		s.stop = true
		return 0
	}
	return s.data[s.pos]
}

func (s *jsonScanner) value(path string, depth int) {
	if depth > maxDepth {
		s.fail(path, fmt.Sprintf("nested more than %d levels deep", maxDepth))
		return
	}
	switch s.peek() {
	case '{':
		s.object(path, depth)
	case '[':
		s.array(path, depth)
	case '"':
		s.str(path)
	case 0:
	default:
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return
			}
			s.pos++
		}
	}
}

func (s *jsonScanner) object(path string, depth int) {
	s.pos++ // {
	var keys []string
	var many map[string]bool // past a few keys, a linear search would be quadratic
	for !s.stop {
		switch s.peek() {
		case '}':
			s.pos++
			return
		case '"':
		default:
			s.stop = true
			return
		}
		key, ok := s.str(path)
		if !ok {
			return
		}
		field := key
		if path != "" {
			field = path + "." + key
		}
		dup := many[key]
		if many == nil {
			dup = slices.Contains(keys, key)
			keys = append(keys, key)
			if len(keys) > 16 {
				many = make(map[string]bool, 2*len(keys))
				for _, k := range keys {
					many[k] = true
				}
			}
		} else {
			many[key] = true
		}
		if dup {
			s.fail(field, "is given twice")
			return
		}
		if s.peek() != ':' {
			s.stop = true
			return
		}
		s.pos++
		s.value(field, depth+1)
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return
		default:
			s.stop = true
		}
	}
}

func (s *jsonScanner) array(path string, depth int) {
	s.pos++ // [
	if s.peek() == ']' {
		s.pos++
		return
	}
	for i := 0; !s.stop; i++ {
		s.value(path+"["+strconv.Itoa(i)+"]", depth+1)
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return
		default:
			s.stop = true
		}
	}
}

// str reads a string at s.pos and returns it decoded when it held escapes
// (keys are compared decoded: "i\u0064" is "id").
func (s *jsonScanner) str(path string) (string, bool) {
	start := s.pos
	s.pos++ // "
	escaped := false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch c {
		case '"':
			s.pos++
			lit := s.data[start:s.pos]
			if !escaped {
				return string(lit[1 : len(lit)-1]), true
			}
			var out string
			if json.Unmarshal(lit, &out) != nil {
				s.stop = true
				return "", false
			}
			return out, true
		case '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				s.stop = true
				return "", false
			}
			if s.data[s.pos+1] != 'u' {
				s.pos += 2
				continue
			}
			r, ok := s.hex4(s.pos + 2)
			if !ok {
				s.stop = true
				return "", false
			}
			s.pos += 6
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				s.fail(path, fmt.Sprintf(`holds an unpaired UTF-16 surrogate \u%04x, which is no character`, r))
				return "", false
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := rune(0), false
				if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					lo, ok = s.hex4(s.pos + 2)
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					s.fail(path, fmt.Sprintf(`holds an unpaired UTF-16 surrogate \u%04x, which is no character`, r))
					return "", false
				}
				s.pos += 6
			}
		default:
			s.pos++
		}
	}
	s.stop = true
	return "", false
}

func (s *jsonScanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[at:at+4]), 16, 32)
	return rune(v), err == nil
}
