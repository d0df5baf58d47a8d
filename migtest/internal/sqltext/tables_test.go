package sqltext

import (
	"fmt"
	"testing"
)

func TestTablesWritten(t *testing.T) {
	t.Parallel()
	tests := []struct{ q, want string }{
		// single-table writes, with modifiers, qualified and quoted names
		{"INSERT INTO `tabCustom Field` (a) VALUES (1)", "[tabCustom Field]"},
		{"insert low_priority ignore into t select * from u", "[t]"},
		{"INSERT `t` SET a = 1", "[t]"},
		{"INSERT INTO site1.`tab.x` VALUES (1) ON DUPLICATE KEY UPDATE a = 2", "[site1.tab.x]"},
		{"INSERT INTO t PARTITION (p0) VALUES (1)", "[t]"},
		{"REPLACE INTO `a``b` VALUES (1)", "[a`b]"},
		{"REPLACE DELAYED t VALUES (1)", "[t]"},
		{"UPDATE `tabCustomer` SET x = 1", "[tabCustomer]"},
		{"UPDATE LOW_PRIORITY IGNORE `db`.`t` AS c SET c.x = 1 WHERE c.id IN (SELECT id FROM u)", "[db.t]"},
		{"DELETE FROM t WHERE 1", "[t]"},
		{"DELETE LOW_PRIORITY QUICK IGNORE FROM `db`.`t` WHERE a IN (SELECT a FROM u)", "[db.t]"},
		{"DELETE FROM t ORDER BY id LIMIT 10", "[t]"},
		{"TRUNCATE TABLE `t`", "[t]"},
		{"TRUNCATE t", "[t]"},
		{"LOAD DATA LOCAL INFILE '/tmp/x into table y' REPLACE INTO TABLE `t` FIELDS TERMINATED BY ','", "[t]"},
		{"LOAD XML INFILE 'f.xml' INTO TABLE db.t ROWS IDENTIFIED BY '<row>'", "[db.t]"},
		// multi-table UPDATE: the tables the assignments set
		{"UPDATE `tabA` a JOIN `tabB` b ON a.id = b.id SET a.x = b.x", "[tabA]"},
		{"UPDATE tabA a, tabB b SET b.y = a.y, a.z = 1 WHERE a.id = b.id", "[tabB tabA]"},
		{"UPDATE tabA INNER JOIN tabB ON tabA.id = tabB.id SET tabB.y = 1", "[tabB]"},
		{"UPDATE tabA a LEFT JOIN (SELECT id FROM tabC) c ON c.id = a.id SET a.y = 1", "[tabA]"},
		{"UPDATE tabA a JOIN tabB b USING (id) SET y = 1", "[tabA tabB]"}, // unqualified: it could be either
		{"UPDATE db1.t JOIN db2.t ON db1.t.id = db2.t.id SET db2.t.x = 1", "[db2.t]"},
		// multi-table DELETE, both forms
		{"DELETE a, b FROM `tabA` a JOIN `tabB` b ON a.id = b.id WHERE a.x = 1", "[tabA tabB]"},
		{"DELETE a.* FROM tabA a JOIN tabB b ON a.id = b.id", "[tabA]"},
		{"DELETE FROM t1, t2.* USING t1 INNER JOIN t2 INNER JOIN t3 WHERE t1.id = t2.id AND t2.id = t3.id", "[t1 t2]"},
		// DDL
		{"ALTER TABLE `tab``x` ADD COLUMN c int", "[tab`x]"},
		{"ALTER ONLINE IGNORE TABLE IF EXISTS t ADD INDEX (a)", "[t]"},
		{"ALTER TABLE t RENAME TO u", "[t u]"},
		{"ALTER TABLE t ADD c int, RENAME AS db.u", "[t db.u]"},
		{"ALTER TABLE t RENAME COLUMN a TO b, RENAME INDEX i TO j", "[t]"},
		{"CREATE TABLE IF NOT EXISTS `new` (id int)", "[new]"},
		{"CREATE OR REPLACE TABLE n LIKE o", "[n]"},
		{"CREATE TABLE n AS SELECT * FROM o", "[n]"},
		{"CREATE TEMPORARY TABLE tmp (id int)", "[]"},
		{"CREATE UNIQUE INDEX i ON `t` (a)", "[t]"},
		{"CREATE INDEX IF NOT EXISTS `on` ON db.t (a)", "[db.t]"},
		{"DROP INDEX `i` ON `t`", "[t]"},
		{"DROP TABLE IF EXISTS a, `b`, db.c", "[a b db.c]"},
		{"DROP TEMPORARY TABLE tmp", "[]"},
		{"RENAME TABLE `_tmp_a` TO `_backup_a`", "[_tmp_a _backup_a]"},
		{"RENAME TABLE a TO b, b TO c, tmp NOWAIT TO a", "[a b c tmp]"},
		{"RENAME TABLE a WAIT 5 TO b", "[a b]"},
		// comments and executable comments
		{"/* note */ INSERT /*!40101 IGNORE */ INTO t VALUES (1)", "[t]"},
		{"-- a comment\nUPDATE t SET a = 1", "[t]"},
		// reads and the rest
		{"SELECT * FROM t", "[]"},
		{"SELECT * FROM t FOR UPDATE", "[]"},
		{"SHOW CREATE TABLE t", "[]"},
		{"OPTIMIZE TABLE t", "[]"},
		{"SET @x = 1", "[]"},
		{"", "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(TablesWritten(tt.q, Dialect{})); got != tt.want {
			t.Errorf("TablesWritten(%q) = %s, want %s", tt.q, got, tt.want)
		}
	}
}

// BenchmarkTablesWritten measures the statement hook's cost on a big
// INSERT: only its head is read.
func BenchmarkTablesWritten(b *testing.B) {
	q := "INSERT INTO `tabGL Entry` VALUES "
	for i := 0; i < 10000; i++ {
		q += fmt.Sprintf("(%d, 'name %d', 'x'),", i, i)
	}
	for b.Loop() {
		TablesWritten(q, Dialect{})
	}
}

func TestLockedTable(t *testing.T) {
	t.Parallel()
	tests := []struct{ q, want string }{
		{"ALTER TABLE `tabCustomer` ADD COLUMN x int", "tabCustomer"},
		{"/* c */ ALTER ONLINE TABLE db.t ADD INDEX (a)", "db.t"},
		{"CREATE UNIQUE INDEX i ON `t` (a)", "t"},
		{"DROP INDEX i ON t", "t"},
		{"DROP TABLE IF EXISTS a, b", "a"},
		{"RENAME TABLE a TO b", "a"},
		{"TRUNCATE t", "t"},
		{"OPTIMIZE NO_WRITE_TO_BINLOG TABLE `t`", "t"},
		{"CREATE TABLE t (id int)", ""},
		{"DROP TEMPORARY TABLE t", ""},
		{"UPDATE t SET a = 1", ""},
		{"SELECT 1", ""},
	}
	for _, tt := range tests {
		got, ok := LockedTable(tt.q, Dialect{})
		if (tt.want == "") == ok || got.String() != tt.want {
			t.Errorf("LockedTable(%q) = %s, %v; want %q", tt.q, got, ok, tt.want)
		}
	}
}
