package fusefs

import "strings"

// ExpandVariant expands the variables of a variant symlink target:
// $(VAR) becomes the value of VAR (empty when unset) and $(VAR:-default)
// the value or default when VAR is unset or empty. Anything else, including
// an unterminated "$(", is kept literally.
func ExpandVariant(target string, env func(string) (string, bool)) string {
	if !strings.Contains(target, "$(") {
		return target
	}
	var b strings.Builder
	for {
		i := strings.Index(target, "$(")
		if i < 0 {
			b.WriteString(target)
			return b.String()
		}
		j := strings.IndexByte(target[i:], ')')
		if j < 0 {
			b.WriteString(target)
			return b.String()
		}
		b.WriteString(target[:i])
		expr := target[i+2 : i+j]
		name, def, hasDef := strings.Cut(expr, ":-")
		v, ok := env(name)
		if hasDef && (!ok || v == "") {
			v = def
		}
		b.WriteString(v)
		target = target[i+j+1:]
	}
}
