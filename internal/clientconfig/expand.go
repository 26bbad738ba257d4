package clientconfig

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// expand evaluates a word: literals, quotes and parameter expansions. Any
// command substitution or arithmetic makes it an errSkip.
func (s *script) expand(w *syntax.Word) (string, error) {
	var b strings.Builder
	for _, p := range w.Parts {
		if err := s.part(&b, p, false); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

func (s *script) part(b *strings.Builder, p syntax.WordPart, dq bool) error {
	switch x := p.(type) {
	case *syntax.Lit:
		b.WriteString(unescape(x.Value, dq))
	case *syntax.SglQuoted:
		if x.Dollar {
			return fmt.Errorf("%w: $'...' quoting", errSkip)
		}
		b.WriteString(x.Value)
	case *syntax.DblQuoted:
		for _, q := range x.Parts {
			if err := s.part(b, q, true); err != nil {
				return err
			}
		}
	case *syntax.ParamExp:
		v, err := s.param(x)
		if err != nil {
			return err
		}
		b.WriteString(v)
	case *syntax.CmdSubst:
		return fmt.Errorf("%w: a command substitution, which is never run", errSkip)
	default:
		return fmt.Errorf("%w: unsupported %s", errSkip, nodeName(x))
	}
	return nil
}

// unescape removes shell backslash escapes (inside double quotes only
// before $ ` " \ and newline).
func unescape(s string, dq bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			n := s[i+1]
			if n == '\n' {
				i++
				continue
			}
			if !dq || strings.IndexByte("$`\"\\", n) >= 0 {
				b.WriteByte(n)
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// param evaluates $X, ${X}, ${X-d}, ${X:-d}, ${X=d}, ${X:=d}, ${X+a},
// ${X:+a}, ${#X}.
func (s *script) param(x *syntax.ParamExp) (string, error) {
	if x.Param == nil || x.Excl || x.Width || x.Index != nil || x.Slice != nil || x.Repl != nil || x.Names != 0 {
		return "", fmt.Errorf("%w: an unsupported parameter expansion", errSkip)
	}
	name := x.Param.Value
	val, set := s.c.Get(name)
	if x.Length {
		return fmt.Sprint(len(val)), nil
	}
	if x.Exp == nil {
		return val, nil
	}
	arg := func() (string, error) {
		if x.Exp.Word == nil {
			return "", nil
		}
		return s.expand(x.Exp.Word)
	}
	null := !set || val == ""
	switch x.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull:
		if !set || (null && x.Exp.Op == syntax.DefaultUnsetOrNull) {
			return arg()
		}
		return val, nil
	case syntax.AssignUnset, syntax.AssignUnsetOrNull:
		if !set || (null && x.Exp.Op == syntax.AssignUnsetOrNull) {
			d, err := arg()
			if err != nil {
				return "", err
			}
			s.setVar(name, d, x.Pos())
			return d, nil
		}
		return val, nil
	case syntax.AlternateUnset, syntax.AlternateUnsetOrNull:
		if !set || (null && x.Exp.Op == syntax.AlternateUnsetOrNull) {
			return "", nil
		}
		return arg()
	}
	return "", fmt.Errorf("%w: parameter expansion %s", errSkip, x.Exp.Op)
}
