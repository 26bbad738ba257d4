package clientconfig

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// errSkip marks a construct that is not evaluated (a warning was given).
var errSkip = fmt.Errorf("not evaluated")

// script evaluates the safe subset of one shell file into a Config.
type script struct {
	c        *Config
	file     string // shown in origins
	dir      string // for file tests, like the real client's cd
	readonly map[string]bool
	freeze   func(key string) bool // true: assignment to key is refused
}

// evalFile parses and evaluates src (the content of file).
func (c *Config) evalFile(file string, src []byte, freeze func(string) bool) error {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(src), file)
	if err != nil {
		return fmt.Errorf("%w (fix the shell syntax of this configuration file)", err)
	}
	s := &script{c: c, file: file, dir: filepath.Dir(file), readonly: map[string]bool{}, freeze: freeze}
	s.stmts(f.Stmts)
	return nil
}

func (s *script) origin(p syntax.Pos) Origin {
	return Origin{Kind: KindFile, File: s.file, Line: int(p.Line())}
}

func (s *script) warn(p syntax.Pos, format string, args ...any) {
	s.c.warn(s.origin(p), format, args...)
}

func (s *script) stmts(ss []*syntax.Stmt) {
	for _, st := range ss {
		s.stmt(st)
	}
}

func (s *script) stmt(st *syntax.Stmt) {
	if st.Background || st.Coprocess || len(st.Redirs) > 0 {
		s.warn(st.Pos(), "statement with redirection or background not executed")
		return
	}
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		s.call(st, c)
	case *syntax.DeclClause:
		s.decl(c)
	case *syntax.IfClause:
		s.ifClause(c)
	case *syntax.BinaryCmd:
		s.binary(c)
	case *syntax.Block:
		s.stmts(c.Stmts)
	default:
		s.warn(st.Pos(), "shell construct %s not executed (configuration files are parsed, never run)", nodeName(c))
	}
}

func nodeName(n syntax.Node) string {
	return strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", n), "*syntax."))
}

func (s *script) call(st *syntax.Stmt, c *syntax.CallExpr) {
	if len(c.Args) == 0 {
		for _, a := range c.Assigns {
			s.assign(a)
		}
		return
	}
	name := c.Args[0].Lit()
	switch name {
	case ":", "true": // ": ${X:=default}" assigns through its expansion
		for _, w := range c.Args[1:] {
			if _, err := s.expand(w); err != nil {
				s.warn(w.Pos(), "argument not evaluated: %v", err)
			}
		}
		return
	case "[", "test", "false":
		if _, err := s.cond(st); err != nil {
			return
		}
		return // a bare test has no effect
	}
	if name == "" {
		name = "(computed)"
	}
	s.warn(c.Pos(), "command %q not executed (configuration files are parsed, never run)", name)
}

func (s *script) decl(d *syntax.DeclClause) {
	v := d.Variant.Value
	if v != "export" && v != "readonly" && v != "declare" && v != "typeset" {
		s.warn(d.Pos(), "%q not supported outside functions", v)
		return
	}
	for _, a := range d.Args {
		if a.Name == nil {
			s.warn(d.Pos(), "%s with option or computed name not evaluated", v)
			continue
		}
		if !a.Naked {
			s.assign(a)
		}
		if v == "readonly" {
			s.readonly[a.Name.Value] = true
		}
	}
}

// assign performs NAME=word.
func (s *script) assign(a *syntax.Assign) {
	if a.Index != nil || a.Array != nil || a.Name == nil {
		s.warn(a.Pos(), "array assignment not supported")
		return
	}
	key := a.Name.Value
	val := ""
	if a.Value != nil {
		v, err := s.expand(a.Value)
		if err != nil {
			s.warn(a.Pos(), "%s not assigned: its value is %v", key, err)
			return
		}
		val = v
	}
	if a.Append {
		old, _ := s.c.Get(key)
		val = old + val
	}
	s.setVar(key, val, a.Pos())
}

func (s *script) setVar(key, val string, p syntax.Pos) {
	if s.readonly[key] {
		s.warn(p, "%s is readonly in this file; assignment ignored (as bash does)", key)
		return
	}
	if s.freeze != nil && s.freeze(key) {
		s.warn(p, "%s cannot be changed after default.d (the real client protects it); assignment ignored", key)
		return
	}
	if !isKnown(key) {
		s.warn(p, "unknown parameter %s (typo?)", key)
	}
	s.c.set(key, val, s.origin(p))
}

func (s *script) ifClause(c *syntax.IfClause) {
	for ; c != nil; c = c.Else {
		if len(c.Cond) == 0 { // else
			s.stmts(c.Then)
			return
		}
		ok, err := s.condList(c.Cond)
		if err != nil {
			s.warn(c.Pos(), "if-block skipped: its condition is %v", err)
			return
		}
		if ok {
			s.stmts(c.Then)
			return
		}
	}
}

// binary handles "cond && stmt" and "cond || stmt".
func (s *script) binary(b *syntax.BinaryCmd) {
	if b.Op != syntax.AndStmt && b.Op != syntax.OrStmt {
		s.warn(b.Pos(), "pipeline not executed")
		return
	}
	ok, err := s.cond(b.X)
	if err != nil {
		s.warn(b.Pos(), "%s list skipped: its condition is %v", b.Op, err)
		return
	}
	if ok == (b.Op == syntax.AndStmt) {
		s.stmt(b.Y)
	}
}

func (s *script) condList(ss []*syntax.Stmt) (bool, error) {
	ok := true
	for _, st := range ss {
		v, err := s.cond(st)
		if err != nil {
			return false, err
		}
		ok = v
	}
	return ok, nil
}

// fileTest implements -f, -d, -e, -r relative to the file's directory.
func (s *script) fileTest(op, name string) bool {
	if !filepath.IsAbs(name) {
		name = filepath.Join(s.dir, name)
	}
	fi, err := os.Stat(name)
	switch op {
	case "-f":
		return err == nil && fi.Mode().IsRegular()
	case "-d":
		return err == nil && fi.IsDir()
	}
	return err == nil
}
