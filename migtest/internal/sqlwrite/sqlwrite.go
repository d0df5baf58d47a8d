// Package sqlwrite finds the tables a SQL statement writes to. It is shared
// by the rehearsal's timing (which tables each patch touched) and the
// production runbook's rollback --touched, and has no dependencies, so the
// production binary links it without the rehearsal's disposable servers.
package sqlwrite

import (
	"regexp"
	"strings"
)

var (
	writeTarget   = regexp.MustCompile("(?is)^\\s*(?:ALTER\\s+(?:ONLINE\\s+|IGNORE\\s+)*TABLE|UPDATE(?:\\s+LOW_PRIORITY|\\s+IGNORE)*|DELETE(?:\\s+LOW_PRIORITY|\\s+QUICK|\\s+IGNORE)*\\s+FROM|INSERT(?:\\s+LOW_PRIORITY|\\s+DELAYED|\\s+HIGH_PRIORITY|\\s+IGNORE)*(?:\\s+INTO)?|REPLACE(?:\\s+INTO)?|CREATE\\s+TABLE(?:\\s+IF\\s+NOT\\s+EXISTS)?|DROP\\s+TABLE(?:\\s+IF\\s+EXISTS)?|TRUNCATE(?:\\s+TABLE)?|RENAME\\s+TABLE|CREATE\\s+(?:UNIQUE\\s+|FULLTEXT\\s+|SPATIAL\\s+)?INDEX\\s+\\S+\\s+ON)\\s+(`(?:[^`]|``)+`|[\\w$]+)")
	renameTargets = regexp.MustCompile("(?is)\\bTO\\s+(`(?:[^`]|``)+`|[\\w$]+)")
)

// Tables returns the tables a statement writes to or creates: the target
// of INSERT, REPLACE, UPDATE, DELETE, ALTER, CREATE/DROP TABLE, TRUNCATE,
// CREATE INDEX, and both sides of RENAME TABLE. Unqualified names only;
// other statements give none.
func Tables(q string) []string {
	m := writeTarget.FindStringSubmatch(q)
	if m == nil {
		return nil
	}
	out := []string{unquote(m[1])}
	if head := strings.ToUpper(strings.TrimSpace(q)); strings.HasPrefix(head, "RENAME") {
		for _, r := range renameTargets.FindAllStringSubmatch(q, -1) {
			out = append(out, unquote(r[1]))
		}
	}
	return out
}

func unquote(s string) string {
	if strings.HasPrefix(s, "`") {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}
