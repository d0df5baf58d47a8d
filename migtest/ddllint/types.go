package ddllint

import (
	"fmt"
	"strconv"
	"strings"
)

// colType is a column type as written: base in lower case (int, varchar,
// decimal, ...), its arguments (lengths, precision and scale, or the
// members of an ENUM or SET), and whether it is UNSIGNED.
type colType struct {
	base     string
	args     []string
	unsigned bool
}

func (t colType) String() string {
	s := t.base
	if len(t.args) > 0 {
		if t.base == "enum" || t.base == "set" {
			q := make([]string, len(t.args))
			for i, a := range t.args {
				q[i] = "'" + strings.ReplaceAll(a, "'", "''") + "'"
			}
			s += "(" + strings.Join(q, ",") + ")"
		} else {
			s += "(" + strings.Join(t.args, ",") + ")"
		}
	}
	if t.unsigned {
		s += " unsigned"
	}
	return s
}

// parseColumnType reads a type as information_schema.COLUMNS.COLUMN_TYPE
// gives it, e.g. "bigint(20) unsigned".
func parseColumnType(s string) colType { return parseType(&cursor{toks: lex(s)}) }

// typeAliases maps synonyms to the base the lint compares.
var typeAliases = map[string]string{
	"integer": "int", "int4": "int", "int1": "tinyint", "int2": "smallint", "int3": "mediumint", "int8": "bigint",
	"middleint": "mediumint", "bool": "tinyint", "boolean": "tinyint",
	"dec": "decimal", "numeric": "decimal", "fixed": "decimal", "number": "decimal",
	"real": "double", "float8": "double", "float4": "float",
	"character": "char", "nchar": "char", "nvarchar": "varchar", "varchar2": "varchar",
	"long": "mediumtext", "json": "longtext",
}

// parseType reads a type at the cursor: a word, an optional argument list
// and UNSIGNED/SIGNED/ZEROFILL.
func parseType(c *cursor) colType {
	var t colType
	w := c.peek()
	if w.kind != tokWord {
		return t
	}
	c.i++
	t.base = strings.ToLower(w.val)
	switch {
	case t.base == "national":
		if n := c.peek(); n.kind == tokWord {
			c.i++
			t.base = strings.ToLower(n.val)
		}
	case t.base == "double":
		c.accept("PRECISION")
	case t.base == "char" || t.base == "character":
		if c.accept("VARYING") {
			t.base = "varchar"
		}
	case t.base == "long" && (c.peek().is("VARCHAR") || c.peek().is("VARBINARY")):
		t.base = "long " + strings.ToLower(c.next().val)
	}
	if a, ok := typeAliases[t.base]; ok {
		t.base = a
	}
	switch t.base {
	case "long varchar":
		t.base = "mediumtext"
	case "long varbinary":
		t.base = "mediumblob"
	}
	if c.peek().punct('(') {
		c.i++
		for !c.done() && !c.peek().punct(')') {
			a := c.next()
			if a.kind == tokNumber || a.kind == tokString {
				t.args = append(t.args, a.val)
			}
		}
		c.i++
	}
	for {
		switch {
		case c.accept("UNSIGNED"):
			t.unsigned = true
		case c.accept("SIGNED"), c.accept("ZEROFILL"):
		default:
			return t
		}
	}
}

// family groups types the lint can compare.
type family int

const (
	famUnknown family = iota
	famInt
	famDecimal
	famFloat
	famText
	famBinary
	famTemporal
	famEnum
)

var intBytes = map[string]int{"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "bigint": 8}

// textCapacity is the most characters a text type holds (bytes, so
// characters when they are ASCII, the worst case for a narrowing).
var textCapacity = map[string]int64{"tinytext": 255, "text": 65535, "mediumtext": 16777215, "longtext": 4294967295}

var blobCapacity = map[string]int64{"tinyblob": 255, "blob": 65535, "mediumblob": 16777215, "longblob": 4294967295}

var temporal = map[string]bool{"date": true, "datetime": true, "timestamp": true, "time": true, "year": true}

func (t colType) family() family {
	switch {
	case intBytes[t.base] > 0:
		return famInt
	case t.base == "decimal":
		return famDecimal
	case t.base == "float" || t.base == "double":
		return famFloat
	case t.base == "char" || t.base == "varchar" || textCapacity[t.base] > 0:
		return famText
	case t.base == "binary" || t.base == "varbinary" || blobCapacity[t.base] > 0:
		return famBinary
	case temporal[t.base]:
		return famTemporal
	case t.base == "enum" || t.base == "set":
		return famEnum
	}
	return famUnknown
}

func (t colType) arg(i, def int) int {
	if i < len(t.args) {
		if n, err := strconv.Atoi(t.args[i]); err == nil {
			return n
		}
	}
	return def
}

// capacity is how many characters (text) or bytes (binary) t holds.
func (t colType) capacity() int64 {
	switch t.base {
	case "char", "binary":
		return int64(t.arg(0, 1))
	case "varchar", "varbinary":
		return int64(t.arg(0, 0))
	}
	if n, ok := textCapacity[t.base]; ok {
		return n
	}
	return blobCapacity[t.base]
}

// precision and scale of a decimal (MariaDB's default is decimal(10,0)).
func (t colType) decimal() (p, s int) { return t.arg(0, 10), t.arg(1, 0) }

// intRange is the range of an integer type.
func (t colType) intRange() (lo, hi float64) {
	bits := float64(8 * intBytes[t.base])
	if t.unsigned {
		return 0, pow2(bits) - 1
	}
	return -pow2(bits - 1), pow2(bits-1) - 1
}

func pow2(n float64) float64 {
	r := 1.0
	for range int(n) {
		r *= 2
	}
	return r
}

// intDigits is how many decimal digits the largest value of an integer
// type has.
func (t colType) intDigits() int {
	lo, hi := t.intRange()
	return len(strconv.FormatFloat(max(-lo, hi), 'f', 0, 64))
}

// fsp is the fractional seconds precision of a temporal type.
func (t colType) fsp() int { return t.arg(0, 0) }

// lossy tells whether changing a column from old to new can lose or reject
// values, and why; types it cannot compare are not lossy.
func lossy(old, new colType) (string, bool) {
	of, nf := old.family(), new.family()
	switch {
	case of == famUnknown || nf == famUnknown:
		return "", false
	case of == famInt && nf == famInt:
		olo, ohi := old.intRange()
		nlo, nhi := new.intRange()
		if nlo > olo || nhi < ohi {
			return fmt.Sprintf("%s holds %.0f to %.0f, %s only %.0f to %.0f", old, olo, ohi, new, nlo, nhi), true
		}
	case of == famDecimal && nf == famDecimal:
		op, os := old.decimal()
		np, ns := new.decimal()
		if ns < os {
			return fmt.Sprintf("%s rounds %d decimals to %d", new, os, ns), true
		}
		if np-ns < op-os {
			return fmt.Sprintf("%s holds %d integer digits, %s only %d", old, op-os, new, np-ns), true
		}
	case of == famFloat && nf == famFloat:
		if old.base == "double" && new.base == "float" {
			return "float keeps about 7 significant digits of a double's 15", true
		}
	case (of == famText && nf == famText) || (of == famBinary && nf == famBinary):
		if oc, nc := old.capacity(), new.capacity(); nc < oc {
			unit := "characters"
			if of == famBinary {
				unit = "bytes"
			}
			return fmt.Sprintf("values longer than %d %s are cut or rejected (%s holds %d)", nc, unit, old, oc), true
		}
	case of == famTemporal && nf == famTemporal:
		return temporalLoss(old, new)
	case of == famEnum && nf == famEnum:
		kept := map[string]bool{}
		for _, m := range new.args {
			kept[strings.ToLower(m)] = true
		}
		for _, m := range old.args {
			if !kept[strings.ToLower(m)] {
				return fmt.Sprintf("the member '%s' is gone; rows holding it become ''", m), true
			}
		}
	case of == famInt && nf == famDecimal:
		if p, s := new.decimal(); p-s < old.intDigits() {
			return fmt.Sprintf("%s holds %d-digit values, %s only %d integer digits", old, old.intDigits(), new, p-s), true
		}
	case of == famInt && nf == famFloat:
		mant := 53.0
		if new.base == "float" {
			mant = 24
		}
		if _, hi := old.intRange(); hi > pow2(mant) {
			return fmt.Sprintf("%s cannot hold every %s exactly", new, old), true
		}
	case of == famDecimal && nf == famInt:
		p, s := old.decimal()
		if s > 0 {
			return fmt.Sprintf("%s drops the %d decimals", new, s), true
		}
		if p > new.intDigits()-1 {
			return fmt.Sprintf("%s holds %d-digit values, %s fewer", old, p, new), true
		}
	case of == famDecimal && nf == famFloat:
		if p, _ := old.decimal(); (new.base == "float" && p > 6) || p > 15 {
			return fmt.Sprintf("%s keeps fewer significant digits than %s", new, old), true
		}
	case of == famFloat && (nf == famInt || nf == famDecimal):
		return fmt.Sprintf("%s cannot hold every %s value (fractions, exponents)", new, old), true
	case (of == famInt || of == famDecimal || of == famFloat || of == famTemporal || of == famEnum) && nf == famText:
		if need := maxChars(old); need > 0 && new.capacity() < need {
			return fmt.Sprintf("%s needs up to %d characters, %s holds %d", old, need, new, new.capacity()), true
		}
	case of == famText && nf == famBinary:
		if new.capacity() < old.capacity() {
			return fmt.Sprintf("values longer than %d bytes are cut or rejected", new.capacity()), true
		}
	case of == famText || of == famBinary:
		return fmt.Sprintf("values that are not valid %s are rejected or become 0/NULL", new.base), true
	}
	return "", false
}

// maxChars is how many characters a value of t needs as text, 0 when
// unknown.
func maxChars(t colType) int64 {
	switch t.family() {
	case famInt:
		if t.unsigned {
			return int64(t.intDigits())
		}
		return int64(t.intDigits() + 1)
	case famDecimal:
		p, s := t.decimal()
		if s > 0 {
			return int64(p + 2)
		}
		return int64(p + 1)
	case famFloat:
		return 24
	case famTemporal:
		n := map[string]int{"date": 10, "datetime": 19, "timestamp": 19, "time": 10, "year": 4}[t.base]
		if f := t.fsp(); f > 0 && t.base != "date" && t.base != "year" {
			n += 1 + f
		}
		return int64(n)
	case famEnum:
		n := 0
		if t.base == "set" {
			for _, m := range t.args {
				n += len(m) + 1
			}
			return int64(n)
		}
		for _, m := range t.args {
			n = max(n, len(m))
		}
		return int64(n)
	}
	return 0
}

func temporalLoss(old, new colType) (string, bool) {
	o, n := old.base, new.base
	switch {
	case o == n:
		if n != "date" && n != "year" && new.fsp() < old.fsp() {
			return fmt.Sprintf("%s drops fractional seconds (%s keeps %d digits)", new, old, old.fsp()), true
		}
	case (o == "datetime" || o == "timestamp") && n == "date":
		return fmt.Sprintf("%s drops the time of day", new), true
	case (o == "datetime" || o == "date") && n == "timestamp":
		return "timestamp only holds 1970 to 2038", true
	case o == "timestamp" && n == "datetime":
		if new.fsp() < old.fsp() {
			return fmt.Sprintf("%s drops fractional seconds", new), true
		}
	case o == "date" && n == "datetime":
	default:
		return fmt.Sprintf("%s cannot hold every %s value", new, old), true
	}
	return "", false
}
