package sqlite

import (
	"fmt"
	"strings"
)

// Token kinds of the SQL subset in sqlite_master.
const (
	tokWord   = 'w' // keyword or bare identifier
	tokQuoted = 'q' // "identifier", `identifier`, [identifier]
	tokString = 's' // 'literal'
	tokNumber = 'n'
	tokBlob   = 'b' // X'hex'
	tokPunct  = 'p'
)

type token struct {
	kind byte
	text string // unquoted text
}

func (t token) is(word string) bool { return t.kind == tokWord && strings.EqualFold(t.text, word) }

func (t token) name() bool { return t.kind == tokWord || t.kind == tokQuoted || t.kind == tokString }

// lex splits a CREATE statement into tokens (comments dropped).
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out, nil
			}
			i += j
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return out, nil
			}
			i += j + 4
		case (c == 'x' || c == 'X') && i+1 < len(s) && s[i+1] == '\'':
			text, n, err := quoted(s[i+1:], '\'')
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokBlob, text})
			i += 1 + n
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && (isIdentStart(s[j]) || isDigit(s[j]) || s[j] == '$') {
				j++
			}
			out = append(out, token{tokWord, s[i:j]})
			i = j
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || isIdentStart(s[j]) || s[j] == '.' ||
				(s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		case c == '"' || c == '`' || c == '\'':
			text, n, err := quoted(s[i:], c)
			if err != nil {
				return nil, err
			}
			kind := byte(tokQuoted)
			if c == '\'' {
				kind = tokString
			}
			out = append(out, token{kind, text})
			i += n
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("%w: unterminated [identifier", ErrCorrupt)
			}
			out = append(out, token{tokQuoted, s[i+1 : i+j]})
			i += j + 1
		default:
			out = append(out, token{tokPunct, s[i : i+1]})
			i++
		}
	}
	return out, nil
}

// quoted reads a literal starting with quote q at s[0] (doubled q escapes
// q) and returns its text and length in s.
func quoted(s string, q byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("%w: unterminated quoted text in schema", ErrCorrupt)
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// splitList splits toks (the inside of a parenthesised list) at top-level
// commas.
func splitList(toks []token) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		if t.kind != tokPunct {
			continue
		}
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
		case ",":
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	return append(out, toks[start:])
}

// parenList returns the tokens inside the parenthesis opening at toks[0]
// and the tokens after the matching close.
func parenList(toks []token) (inside, rest []token, err error) {
	if len(toks) == 0 || toks[0].kind != tokPunct || toks[0].text != "(" {
		return nil, nil, fmt.Errorf("%w: expected ( in schema SQL", ErrCorrupt)
	}
	depth := 0
	for i, t := range toks {
		if t.kind != tokPunct {
			continue
		}
		switch t.text {
		case "(":
			depth++
		case ")":
			if depth--; depth == 0 {
				return toks[1:i], toks[i+1:], nil
			}
		}
	}
	return nil, nil, fmt.Errorf("%w: unbalanced ( in schema SQL", ErrCorrupt)
}
