package clientconfig

import (
	"fmt"
	"path"
	"strconv"

	"mvdan.cc/sh/v3/syntax"
)

// cond evaluates a statement used as a condition.
func (s *script) cond(st *syntax.Stmt) (bool, error) {
	v, err := s.condCmd(st.Cmd)
	if err != nil {
		return false, err
	}
	return v != st.Negated, nil
}

func (s *script) condCmd(cmd syntax.Command) (bool, error) {
	switch c := cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Assigns) > 0 || len(c.Args) == 0 {
			return false, fmt.Errorf("%w: assignment used as a condition", errSkip)
		}
		switch c.Args[0].Lit() {
		case "true", ":":
			return true, nil
		case "false":
			return false, nil
		case "[":
			if len(c.Args) < 2 || c.Args[len(c.Args)-1].Lit() != "]" {
				return false, fmt.Errorf("%w: [ without ]", errSkip)
			}
			return s.bracket(c.Args[1 : len(c.Args)-1])
		case "test":
			return s.bracket(c.Args[1:])
		}
		return false, fmt.Errorf("%w: a command (%q), which is never run", errSkip, c.Args[0].Lit())
	case *syntax.TestClause:
		return s.testExpr(c.X)
	case *syntax.BinaryCmd:
		x, err := s.cond(c.X)
		if err != nil {
			return false, err
		}
		if c.Op == syntax.AndStmt && !x || c.Op == syntax.OrStmt && x {
			return x, nil
		}
		if c.Op != syntax.AndStmt && c.Op != syntax.OrStmt {
			return false, fmt.Errorf("%w: a pipeline", errSkip)
		}
		return s.cond(c.Y)
	}
	return false, fmt.Errorf("%w: unsupported %s", errSkip, nodeName(cmd))
}

// bracket evaluates the arguments of [ ... ] / test.
func (s *script) bracket(words []*syntax.Word) (bool, error) {
	args := make([]string, len(words))
	for i, w := range words {
		v, err := s.expand(w)
		if err != nil {
			return false, err
		}
		args[i] = v
	}
	return testArgs(args, s.fileTest)
}

// testArgs is POSIX test(1) for string, integer and file tests, with !, -a, -o.
func testArgs(a []string, file func(op, name string) bool) (bool, error) {
	for i, w := range a { // -o binds weaker than -a
		if w == "-o" && i > 0 && i < len(a)-1 {
			x, err := testArgs(a[:i], file)
			if err != nil || x {
				return x, err
			}
			return testArgs(a[i+1:], file)
		}
	}
	for i, w := range a {
		if w == "-a" && i > 0 && i < len(a)-1 {
			x, err := testArgs(a[:i], file)
			if err != nil || !x {
				return x, err
			}
			return testArgs(a[i+1:], file)
		}
	}
	switch len(a) {
	case 0:
		return false, nil
	case 1:
		return a[0] != "", nil
	case 2:
		switch a[0] {
		case "!":
			return a[1] == "", nil
		case "-z":
			return a[1] == "", nil
		case "-n":
			return a[1] != "", nil
		case "-f", "-d", "-e", "-r", "-s":
			return file(a[0], a[1]), nil
		}
	case 3:
		if a[0] == "!" {
			x, err := testArgs(a[1:], file)
			return !x, err
		}
		return binaryTest(a[0], a[1], a[2])
	}
	if a[0] == "!" {
		x, err := testArgs(a[1:], file)
		return !x, err
	}
	return false, fmt.Errorf("%w: test expression %q", errSkip, a)
}

func binaryTest(x, op, y string) (bool, error) {
	switch op {
	case "=", "==":
		return x == y, nil
	case "!=":
		return x != y, nil
	case "-eq", "-ne", "-lt", "-le", "-gt", "-ge":
		a, err1 := strconv.ParseInt(x, 10, 64)
		b, err2 := strconv.ParseInt(y, 10, 64)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%w: %s needs integers, got %q and %q", errSkip, op, x, y)
		}
		return map[string]bool{"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[op], nil
	}
	return false, fmt.Errorf("%w: test operator %q", errSkip, op)
}

// testExpr evaluates [[ ... ]].
func (s *script) testExpr(e syntax.TestExpr) (bool, error) {
	switch x := e.(type) {
	case *syntax.Word:
		v, err := s.expand(x)
		return v != "", err
	case *syntax.ParenTest:
		return s.testExpr(x.X)
	case *syntax.UnaryTest:
		if x.Op == syntax.TsNot {
			v, err := s.testExpr(x.X)
			return !v, err
		}
		w, ok := x.X.(*syntax.Word)
		if !ok {
			return false, fmt.Errorf("%w: [[ %s ]]", errSkip, x.Op)
		}
		v, err := s.expand(w)
		if err != nil {
			return false, err
		}
		return testArgs([]string{x.Op.String(), v}, s.fileTest)
	case *syntax.BinaryTest:
		return s.binaryTestExpr(x)
	}
	return false, fmt.Errorf("%w: [[ ]] expression", errSkip)
}

func (s *script) binaryTestExpr(x *syntax.BinaryTest) (bool, error) {
	if x.Op == syntax.AndTest || x.Op == syntax.OrTest {
		a, err := s.testExpr(x.X)
		if err != nil || (x.Op == syntax.AndTest) != a {
			return a, err
		}
		return s.testExpr(x.Y)
	}
	l, lok := x.X.(*syntax.Word)
	r, rok := x.Y.(*syntax.Word)
	if !lok || !rok {
		return false, fmt.Errorf("%w: [[ %s ]]", errSkip, x.Op)
	}
	a, err := s.expand(l)
	if err != nil {
		return false, err
	}
	b, err := s.expand(r)
	if err != nil {
		return false, err
	}
	switch x.Op {
	case syntax.TsMatch, syntax.TsMatchShort, syntax.TsNoMatch:
		m, perr := path.Match(b, a) // [[ ]] patterns are globs
		if perr != nil {
			m = a == b
		}
		return m != (x.Op == syntax.TsNoMatch), nil
	}
	return binaryTest(a, x.Op.String(), b)
}
