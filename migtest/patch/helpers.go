package patch

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Column is a column of a table CreateTable creates: its name and its
// definition, e.g. Column{"email_id", "varchar(140) NOT NULL DEFAULT ”"}.
type Column struct {
	Name       string
	Definition string
}

// CreateTable creates table with columns and the primary key (InnoDB,
// utf8mb4, utf8mb4_unicode_ci, as Frappe's tables), unless it exists
// already (a re-run): then it is left as it is.
func (pc *Context) CreateTable(ctx context.Context, table string, columns []Column, primaryKey ...string) error {
	if len(columns) == 0 {
		return fmt.Errorf("create table %s: no columns given", table)
	}
	ok, err := pc.HasTable(ctx, table)
	if err != nil || ok {
		if ok {
			pc.Log.Info("table exists, not creating", "table", table)
		}
		return err
	}
	parts := make([]string, 0, len(columns)+1)
	for _, c := range columns {
		if strings.TrimSpace(c.Name) == "" || strings.TrimSpace(c.Definition) == "" {
			return fmt.Errorf("create table %s: column %q needs a name and a definition", table, c.Name)
		}
		parts = append(parts, QuoteIdent(c.Name)+" "+c.Definition)
	}
	if len(primaryKey) > 0 {
		keys := make([]string, len(primaryKey))
		for i, k := range primaryKey {
			keys[i] = QuoteIdent(k)
		}
		parts = append(parts, "PRIMARY KEY ("+strings.Join(keys, ", ")+")")
	}
	q := "CREATE TABLE IF NOT EXISTS " + QuoteIdent(table) + " (\n  " + strings.Join(parts, ",\n  ") +
		"\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	if _, err := pc.DB.Exec(ctx, q); err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	return nil
}

// prefixLength is an index part with a prefix length: name(20).
var prefixLength = regexp.MustCompile(`^(.+)\((\d+)\)$`)

// indexPart quotes an index part given to AddIndex: a column name, or a
// column name with a prefix length, "town(20)".
func indexPart(c string) string {
	if m := prefixLength.FindStringSubmatch(strings.TrimSpace(c)); m != nil {
		return QuoteIdent(strings.TrimSpace(m[1])) + "(" + m[2] + ")"
	}
	return QuoteIdent(c)
}
