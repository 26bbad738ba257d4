package userdata

import (
	"strings"
)

// ShellUnquote interprets one shell word made of unquoted, single-quoted and
// double-quoted pieces (as in KEY='a'\”b' or KEY="x y") without expanding
// anything. Unquoted text ends at the first blank or ';'.
func ShellUnquote(s string) string {
	v, _ := shellWord(s)
	return v
}

// shellWord parses one word at the start of s and returns it and the rest.
func shellWord(s string) (string, string) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				b.WriteString(s[i+1:])
				return b.String(), ""
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			i = doubleQuoted(&b, s, i+1)
		case c == '\\' && i+1 < len(s):
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i += 2
		case c == ' ' || c == '\t' || c == ';' || c == '\n':
			return b.String(), s[i:]
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), ""
}

// doubleQuoted copies a double-quoted string starting after its opening
// quote at s[i] and returns the index after the closing quote.
func doubleQuoted(b *strings.Builder, s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0:
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return i
}

// ParseShellVars reads simple shell variable assignments (KEY=value,
// KEY="value", KEY='value', optionally prefixed by "export") from a file such
// as OpenNebula's context.sh, as data: nothing is executed or expanded.
// Quoted values may span lines. Other lines are skipped.
func ParseShellVars(data string) map[string]string {
	vars := map[string]string{}
	s := data
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\r\n;")
		if strings.HasPrefix(s, "#") {
			s = skipLine(s)
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		name := shellName(s)
		if name == "" || len(s) == len(name) || s[len(name)] != '=' {
			s = skipLine(s)
			continue
		}
		var v string
		v, s = shellWord(s[len(name)+1:])
		vars[name] = strings.TrimRight(v, "\r")
	}
	return vars
}

func shellName(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			i++
			continue
		}
		break
	}
	return s[:i]
}

func skipLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return ""
}
