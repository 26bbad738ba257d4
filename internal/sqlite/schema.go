package sqlite

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Column is one declared column of a table.
type Column struct {
	Name       string
	Type       string // declared type, as written
	Default    Value  // DEFAULT value (NULL if none)
	RowidAlias bool   // INTEGER PRIMARY KEY: the value is the rowid
	defaultErr error  // DEFAULT is an expression this reader cannot evaluate
	collate    string // declared COLLATE (lower case), "" = binary
	real       bool   // REAL affinity: integers stored on disk read back as REAL
}

// realAffinity applies SQLite's affinity rules to a declared type: REAL
// unless an earlier rule (INT, CHAR/CLOB/TEXT, BLOB) matches.
func realAffinity(typ string) bool {
	t := strings.ToUpper(typ)
	for _, s := range []string{"INT", "CHAR", "CLOB", "TEXT", "BLOB"} {
		if strings.Contains(t, s) {
			return false
		}
	}
	return strings.Contains(t, "REAL") || strings.Contains(t, "FLOA") || strings.Contains(t, "DOUB")
}

// tableDef is the parsed CREATE TABLE text.
type tableDef struct {
	name         string
	cols         []Column
	withoutRowid bool
	autoIndexes  [][]string // PRIMARY KEY / UNIQUE constraints in order
}

// skipPrefix consumes "CREATE [UNIQUE|TEMP|TEMPORARY] <kind> [IF NOT EXISTS] name".
func skipPrefix(toks []token, kind string) (name string, rest []token, err error) {
	if len(toks) == 0 || !toks[0].is("create") {
		return "", nil, fmt.Errorf("%w: schema SQL does not start with CREATE", ErrCorrupt)
	}
	toks = toks[1:]
	for len(toks) > 0 && (toks[0].is("temp") || toks[0].is("temporary") || toks[0].is("unique")) {
		toks = toks[1:]
	}
	if len(toks) == 0 || !toks[0].is(kind) {
		return "", nil, fmt.Errorf("%w: expected CREATE %s", ErrCorrupt, strings.ToUpper(kind))
	}
	toks = toks[1:]
	if len(toks) >= 3 && toks[0].is("if") && toks[1].is("not") && toks[2].is("exists") {
		toks = toks[3:]
	}
	if len(toks) >= 3 && toks[1].kind == tokPunct && toks[1].text == "." {
		toks = toks[2:] // schema-qualified name
	}
	if len(toks) == 0 || !toks[0].name() {
		return "", nil, fmt.Errorf("%w: CREATE %s without a name", ErrCorrupt, strings.ToUpper(kind))
	}
	return toks[0].text, toks[1:], nil
}

func parseCreateTable(sql string) (*tableDef, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	name, toks, err := skipPrefix(toks, "table")
	if err != nil {
		return nil, err
	}
	inside, rest, err := parenList(toks)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	d := &tableDef{name: name}
	for i := 0; i+1 < len(rest); i++ {
		if rest[i].is("without") && rest[i+1].is("rowid") {
			d.withoutRowid = true
		}
	}
	type pk struct {
		cols  []string
		isPK  bool
		desc  bool
		inCol bool
	}
	var keys []pk
	for _, part := range splitList(inside) {
		if len(part) == 0 {
			return nil, fmt.Errorf("%w: table %s: empty column definition", ErrCorrupt, name)
		}
		if isTableConstraint(part[0]) {
			if cols, isPK, ok := parseKeyConstraint(part); ok {
				keys = append(keys, pk{cols: cols, isPK: isPK})
			}
			continue
		}
		col, isPK, unique, desc := parseColumn(part)
		d.cols = append(d.cols, col)
		if isPK {
			keys = append(keys, pk{cols: []string{col.Name}, isPK: true, desc: desc, inCol: true})
		}
		if unique {
			keys = append(keys, pk{cols: []string{col.Name}})
		}
	}
	for _, k := range keys {
		if k.isPK && len(k.cols) == 1 && !d.withoutRowid && !(k.inCol && k.desc) {
			if i := columnIndex(d.cols, k.cols[0]); i >= 0 && strings.EqualFold(d.cols[i].Type, "integer") {
				d.cols[i].RowidAlias = true
				continue
			}
		}
		d.autoIndexes = append(d.autoIndexes, k.cols)
	}
	return d, nil
}

func isTableConstraint(t token) bool {
	for _, w := range []string{"constraint", "primary", "unique", "check", "foreign"} {
		if t.is(w) {
			return true
		}
	}
	return false
}

// parseKeyConstraint reads "[CONSTRAINT n] PRIMARY KEY (cols)" or "UNIQUE (cols)".
func parseKeyConstraint(part []token) (cols []string, isPK, ok bool) {
	if part[0].is("constraint") && len(part) >= 2 {
		part = part[2:]
	}
	switch {
	case len(part) >= 2 && part[0].is("primary") && part[1].is("key"):
		isPK, part = true, part[2:]
	case len(part) >= 1 && part[0].is("unique"):
		part = part[1:]
	default:
		return nil, false, false
	}
	inside, _, err := parenList(part)
	if err != nil {
		return nil, false, false
	}
	for _, item := range splitList(inside) {
		if len(item) > 0 && item[0].name() {
			cols = append(cols, item[0].text)
		}
	}
	return cols, isPK, len(cols) > 0
}

// constraint keywords that end a column's type name.
var colKeywords = map[string]bool{"constraint": true, "primary": true, "not": true, "null": true,
	"unique": true, "check": true, "default": true, "collate": true, "references": true,
	"generated": true, "as": true}

func parseColumn(part []token) (col Column, isPK, unique, desc bool) {
	col.Name = part[0].text
	i := 1
	var typ []string
	for ; i < len(part) && !(part[i].kind == tokWord && colKeywords[strings.ToLower(part[i].text)]); i++ {
		if part[i].kind == tokPunct && part[i].text == "(" {
			inside, _, err := parenList(part[i:])
			if err != nil {
				break
			}
			if len(typ) == 0 {
				typ = append(typ, "")
			}
			typ[len(typ)-1] += "(" + joinTokens(inside) + ")"
			i += len(inside) + 1
			continue
		}
		typ = append(typ, part[i].text)
	}
	col.Type = strings.Join(typ, " ")
	col.real = realAffinity(col.Type)
	for ; i < len(part); i++ {
		t := part[i]
		switch {
		case t.is("primary"):
			isPK = true
			if i+2 < len(part) && part[i+2].is("desc") {
				desc = true
			}
		case t.is("unique"):
			unique = true
		case t.is("collate") && i+1 < len(part):
			col.collate = strings.ToLower(part[i+1].text)
			i++
		case t.is("default") && i+1 < len(part):
			n := 0
			col.Default, n, col.defaultErr = parseDefault(part[i+1:])
			i += n
		case t.is("generated") || t.is("as"):
			col.defaultErr = fmt.Errorf("%w: generated column %s", ErrUnsupported, col.Name)
		}
	}
	return col, isPK, unique, desc
}

func joinTokens(toks []token) string {
	var s []string
	for _, t := range toks {
		s = append(s, t.text)
	}
	return strings.Join(s, "")
}

// parseDefault reads a DEFAULT literal: [+-]number, 'text', X'blob', NULL,
// TRUE, FALSE or one of those in parentheses. n is the tokens consumed.
func parseDefault(toks []token) (v Value, n int, err error) {
	if toks[0].kind == tokPunct && toks[0].text == "(" {
		inside, _, perr := parenList(toks)
		if perr != nil {
			return Value{}, 1, perr
		}
		v, m, err := parseDefault(inside)
		if err == nil && m != len(inside) {
			err = fmt.Errorf("%w: DEFAULT expression %q", ErrUnsupported, joinTokens(inside))
		}
		return v, len(inside) + 2, err
	}
	t := toks[0]
	switch {
	case t.kind == tokString:
		return Value{Kind: Text, B: []byte(t.text)}, 1, nil
	case t.kind == tokBlob:
		b, err := hex.DecodeString(t.text)
		if err != nil {
			return Value{}, 1, fmt.Errorf("%w: DEFAULT X'%s'", ErrCorrupt, t.text)
		}
		return Value{Kind: Blob, B: b}, 1, nil
	case t.is("null"):
		return Value{}, 1, nil
	case t.is("true"):
		return Value{Kind: Integer, I: 1}, 1, nil
	case t.is("false"):
		return Value{Kind: Integer}, 1, nil
	case t.kind == tokNumber:
		v, err := parseNumber(t.text, false)
		return v, 1, err
	case t.kind == tokPunct && (t.text == "-" || t.text == "+") && len(toks) > 1 && toks[1].kind == tokNumber:
		v, err := parseNumber(toks[1].text, t.text == "-")
		return v, 2, err
	}
	return Value{}, 1, fmt.Errorf("%w: DEFAULT %s", ErrUnsupported, t.text)
}

func parseNumber(s string, neg bool) (Value, error) {
	if neg {
		s = "-" + s
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return Value{Kind: Integer, I: i}, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Value{}, fmt.Errorf("%w: DEFAULT number %q", ErrUnsupported, s)
	}
	return Value{Kind: Float, F: f}, nil
}

func columnIndex(cols []Column, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// indexDef is the parsed CREATE INDEX text.
type indexDef struct {
	name, table string
	cols        []string
	unusable    string // why equality seeks cannot use the index
}

func parseCreateIndex(sql string) (*indexDef, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	name, toks, err := skipPrefix(toks, "index")
	if err != nil {
		return nil, err
	}
	if len(toks) < 2 || !toks[0].is("on") || !toks[1].name() {
		return nil, fmt.Errorf("%w: index %s: expected ON table", ErrCorrupt, name)
	}
	d := &indexDef{name: name, table: toks[1].text}
	inside, rest, err := parenList(toks[2:])
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", name, err)
	}
	if len(rest) > 0 {
		d.unusable = "partial index"
	}
	for _, item := range splitList(inside) {
		if len(item) == 0 || !item[0].name() {
			return nil, fmt.Errorf("%w: index %s: bad column list", ErrCorrupt, name)
		}
		d.cols = append(d.cols, item[0].text)
		for j := 1; j < len(item); j++ {
			switch {
			case item[j].is("asc"):
			case item[j].is("collate") && j+1 < len(item) && item[j+1].is("binary"):
				j++
			case item[j].is("desc"):
				d.unusable = "descending column"
			default:
				d.unusable = "expression or collation"
			}
		}
	}
	return d, nil
}
