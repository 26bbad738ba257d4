package userdata

import (
	"strings"
)

// Entry is one key=value pair of a [ucernvm-begin] block. Key is lower case.
type Entry struct {
	Key   string
	Value string
}

// Context is the ordered result of parsing [ucernvm-begin] blocks. Setting a
// key again replaces its value in place (later sources override).
type Context struct {
	entries []Entry
}

// Get returns the value of key (case-insensitive) and whether it is set.
func (c *Context) Get(key string) (string, bool) {
	if c == nil {
		return "", false
	}
	key = strings.ToLower(key)
	for _, e := range c.entries {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

// Value returns the value of key or "".
func (c *Context) Value(key string) string {
	v, _ := c.Get(key)
	return v
}

// Set sets key (case-insensitive) to value.
func (c *Context) Set(key, value string) {
	key = strings.ToLower(key)
	for i := range c.entries {
		if c.entries[i].Key == key {
			c.entries[i].Value = value
			return
		}
	}
	c.entries = append(c.entries, Entry{Key: key, Value: value})
}

// Merge sets every entry of o in c (o wins).
func (c *Context) Merge(o *Context) {
	if o == nil {
		return
	}
	for _, e := range o.entries {
		c.Set(e.Key, e.Value)
	}
}

// Entries returns a copy of the entries in order.
func (c *Context) Entries() []Entry {
	if c == nil {
		return nil
	}
	return append([]Entry(nil), c.entries...)
}

// Len returns the number of entries.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// On reports whether a boolean key is set to a true value (after
// normalisation "1"). Unset keys yield def.
func (c *Context) On(key string, def bool) bool {
	v, ok := c.Get(key)
	if !ok || v == "" {
		return def
	}
	return v == "1"
}
