package clientconfig

import (
	"fmt"
	"sort"
	"strings"
)

// Origin kinds.
const (
	KindFile    = "file"    // a configuration file line
	KindOption  = "option"  // -o KEY=VALUE
	KindBuiltin = "builtin" // the built-in copy of the shipped default.conf
	KindCode    = "code"    // code default of the real client (key unset)
	KindClient  = "client"  // set by the client itself (CVMFS_FQRN)
)

// Origin says where a value came from.
type Origin struct {
	Kind string
	File string
	Line int
}

func (o Origin) String() string {
	switch o.Kind {
	case KindFile:
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	case KindOption:
		return "-o option"
	case KindBuiltin:
		return "built-in default.conf"
	case KindClient:
		return "the client (repository name)"
	}
	return "code default"
}

// Value is one assignment.
type Value struct {
	Key, Value string
	Origin     Origin
}

// Param is the effective value of a key and the values it overrode,
// oldest first.
type Param struct {
	Value
	Overrode []Value
}

// Warning is something in a file that was not evaluated or looks wrong.
type Warning struct {
	Origin Origin
	Msg    string
}

func (w Warning) String() string { return w.Origin.String() + ": " + w.Msg }

// Config is the effective configuration of one repository.
type Config struct {
	FQRN     string
	Files    []string // files read, in order
	Warnings []Warning
	params   map[string]*Param
}

func newConfig(fqrn string) *Config {
	return &Config{FQRN: fqrn, params: map[string]*Param{}}
}

// set records key=value (templates expanded) from origin o.
func (c *Config) set(key, value string, o Origin) {
	v := Value{Key: key, Value: expandTemplates(value, c.FQRN), Origin: o}
	if p, ok := c.params[key]; ok {
		p.Overrode = append(p.Overrode, p.Value)
		p.Value = v
		return
	}
	c.params[key] = &Param{Value: v}
}

func (c *Config) warn(o Origin, format string, args ...any) {
	c.Warnings = append(c.Warnings, Warning{Origin: o, Msg: fmt.Sprintf(format, args...)})
}

// Get returns the value of key as set by configuration (not code defaults).
func (c *Config) Get(key string) (string, bool) {
	if p, ok := c.params[key]; ok {
		return p.Value.Value, true
	}
	return "", false
}

// Lookup returns the parameter with its origin, falling back to the code
// default of a known key (Origin.Kind == KindCode).
func (c *Config) Lookup(key string) (Param, bool) {
	if p, ok := c.params[key]; ok {
		return *p, true
	}
	if d, ok := codeDefaults[key]; ok {
		return Param{Value: Value{Key: key, Value: d, Origin: Origin{Kind: KindCode}}}, true
	}
	return Param{}, false
}

// Effective lists every set parameter and the code defaults of unset
// typed keys, sorted by key.
func (c *Config) Effective() []Param {
	keys := map[string]bool{}
	for k := range c.params {
		keys[k] = true
	}
	for k := range codeDefaults {
		keys[k] = true
	}
	out := make([]Param, 0, len(keys))
	for k := range keys {
		p, _ := c.Lookup(k)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Explain describes the value of key, where it came from and what it overrode.
func (c *Config) Explain(key string) string {
	p, ok := c.Lookup(key)
	if !ok {
		return fmt.Sprintf("%s is not set (and has no default)\n", key)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s=%s\n  from %s\n", key, p.Value.Value, p.Origin)
	for i := len(p.Overrode) - 1; i >= 0; i-- {
		v := p.Overrode[i]
		fmt.Fprintf(&b, "  overrode %q from %s\n", v.Value, v.Origin)
	}
	if !isKnown(key) {
		b.WriteString("  (not a parameter known to the CernVM-FS client)\n")
	}
	return b.String()
}

func expandTemplates(s, fqrn string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	org, _, _ := strings.Cut(fqrn, ".")
	return strings.NewReplacer("@fqrn@", fqrn, "@org@", org).Replace(s)
}
