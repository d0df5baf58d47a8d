package dump

import (
	"errors"
	"testing"
)

func TestGuard(t *testing.T) {
	t.Parallel()
	l := &loader{target: "site_copy", source: "site", version: 101119, mariadb: true,
		others: map[string]bool{"site": true, "victim": true, "mysql": true, "employees": true}}
	tests := []struct {
		stmt string
		want error // nil: allowed
	}{
		{"CREATE TABLE `x` (id int)", nil},
		{"INSERT INTO x SELECT * FROM `site`.`y`", nil}, // the dump's own database: rewritten later
		{"CREATE VIEW v AS SELECT t.id FROM t", nil},    // table.column, not a database
		{"SELECT victim_count INTO @n FROM t", nil},
		{"SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0", nil},
		{"SET @@SESSION.SQL_LOG_BIN= 0", nil},
		{"CREATE PROCEDURE p() BEGIN SELECT COUNT(*) INTO n FROM t; END", nil},
		{"SET @@GLOBAL.GTID_PURGED='abc:1-5'", errSkip},
		{"INSERT INTO t VALUES ('victim.t')", nil},
		{"DROP TABLE victim.t", errOutside},
		{"CREATE TRIGGER tr AFTER INSERT ON x FOR EACH ROW DELETE FROM `victim`.t", errOutside},
		{"INSERT INTO mysql.user (Host, User) VALUES ('%', 'x')", errOutside},
		{"GRANT ALL ON *.* TO 'evil'@'%'", errOutside},
		{"CREATE USER 'evil'@'%'", errOutside},
		{"SET GLOBAL max_connections = 3", errOutside},
		{"SET @@GLOBAL.read_only = 1", errOutside},
		{"SET PASSWORD FOR root = PASSWORD('x')", errOutside},
		{"LOAD DATA INFILE '/etc/passwd' INTO TABLE x", errOutside},
		{"SELECT * FROM x INTO OUTFILE '/tmp/out'", errOutside},
		{"PREPARE s FROM @q", errOutside},
		{"CREATE PROCEDURE p() BEGIN PREPARE s FROM @q; EXECUTE s; END", errOutside},
		{"/*!40000 DROP TABLE victim.t */", errOutside},
		{"/*!99999 DROP TABLE victim.t */", nil}, // an executable comment the server skips
		// a table or alias named like another database: its columns are no reference to it
		{"CREATE VIEW v AS SELECT `employees`.`emp_no` AS `emp_no` FROM `employees`", nil},
		{"CREATE VIEW v AS SELECT victim.id FROM t AS victim JOIN u victim2 ON victim.id = victim2.id", nil},
		{"CREATE VIEW v AS SELECT e.emp_no FROM employees e WHERE employees.x = 1", nil},
		{"CREATE VIEW v AS SELECT `employees`.`emp_no` FROM `employees`.`employees`", errOutside},
		{"CREATE VIEW v AS SELECT victim.f(id) FROM victim", errOutside},  // a function of the database
		{"CREATE VIEW v AS SELECT victim.t.id FROM t", errOutside},        // three parts
		{"CREATE VIEW v AS SELECT victim.id FROM t", errOutside},          // not a table of the statement
		{"CREATE TABLE x (id INT DEFAULT nextval(victim.s))", errOutside}, // a sequence of the database
		{"CREATE VIEW v AS SELECT 1 FROM t, victim.u", errOutside},        // in a FROM list
		{"CREATE TRIGGER g BEFORE INSERT ON victim.t FOR EACH ROW SET @x = 1", errOutside},
		{"CREATE VIEW v AS SELECT site.f(id) FROM site", nil}, // the dump's own: rewritten later
	}
	for _, tt := range tests {
		it := &item{text: tt.stmt}
		c := classify(tt.stmt, l.version, l.mariadb, false)
		err := l.guard(it, c)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("guard(%q) = %v, want allowed", tt.stmt, err)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("guard(%q) = %v, want %v", tt.stmt, err, tt.want)
		}
	}
}
