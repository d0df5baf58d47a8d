package dump

import (
	"reflect"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	const v = 101119
	tests := []struct {
		sql   string
		op    op
		table string
		name  string
	}{
		{"INSERT INTO `t` VALUES (1)", opData, "t", ""},
		{"insert ignore into t (a, `b c`) values (1, 2)", opData, "t", ""},
		{"REPLACE LOW_PRIORITY INTO db.t SET a = 1", opData, "t", ""},
		{"INSERT INTO t PARTITION (p1) (a) VALUES (1)", opData, "t", ""},
		{"INSERT INTO t SELECT * FROM u", opOther, "", ""},
		{"INSERT INTO t (a) SELECT 1", opOther, "", ""},
		{"CREATE TABLE `a b` (id INT)", opTable, "a b", ""},
		{"CREATE TABLE IF NOT EXISTS t (id INT)", opTable, "t", ""},
		{"CREATE TABLE t LIKE u", opOther, "t", ""},
		{"CREATE TABLE t AS SELECT 1", opOther, "t", ""},
		{"DROP TABLE IF EXISTS `t`", opTable, "t", ""},
		{"DROP TABLE a, b", opOther, "", ""},
		{"/*!40000 ALTER TABLE `t` DISABLE KEYS */", opKeys, "t", ""},
		{"/*!40000 ALTER TABLE `t` ENABLE KEYS */", opKeys, "t", ""},
		{"/*!50610 ALTER TABLE film_text engine=InnoDB */", opAlterTable, "film_text", ""},
		{"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)", opOther, "t", ""},
		{"/*!40101 SET NAMES utf8mb4 */", opSet, "", ""},
		{"/*!99999 SET NAMES utf8mb4 */", opEmpty, "", ""},
		{"/*!80016 DEFAULT ENCRYPTION='N' */", opEmpty, "", ""},
		{"SET GLOBAL max_allowed_packet = 1", opOther, "", ""},
		{"SET @@global.x = 1", opOther, "", ""},
		{"SET AUTOCOMMIT=0", opSet, "", ""},
		{"COMMIT", opTxn, "", ""},
		{"START TRANSACTION", opTxn, "", ""},
		{"ROLLBACK", opRollback, "", ""},
		{"LOCK TABLES `t` WRITE", opLock, "", ""},
		{"UNLOCK TABLES", opUnlock, "", ""},
		{"USE `sakila`", opUse, "", "sakila"},
		{"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `src` /*!40100 DEFAULT CHARACTER SET latin1 */", opCreateDB, "", "src"},
		{"DROP SCHEMA IF EXISTS sakila", opDropDB, "", "sakila"},
		{"ALTER DATABASE CHARACTER SET utf8mb4", opAlterDB, "", ""},
		{"ALTER DATABASE `x` CHARACTER SET utf8mb4", opAlterDB, "", "x"},
		{"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 */", opView, "", "v"},
		{"/*!50001 DROP VIEW IF EXISTS `v`*/", opView, "", "v"},
		{"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 trigger tr before insert on u for each row begin end */", opTrigger, "u", "tr"},
		{"CREATE DEFINER='a'@'%' TRIGGER `t1` AFTER INSERT ON `db`.`x y` FOR EACH ROW SET @a = 1", opTrigger, "x y", "t1"},
		{"CREATE DEFINER=`root`@`localhost` PROCEDURE `p`() begin select 1; end", opRoutine, "", "p"},
		{"/*!50003 DROP FUNCTION IF EXISTS `f` */", opRoutine, "", "f"},
		{"DROP TRIGGER IF EXISTS tr", opDropTrigger, "", "tr"},
		{"CREATE SEQUENCE `s` start with 1", opTable, "s", ""},
		{"DO SETVAL(`s`, 100, 0)", opOther, "", ""},
		{"CREATE UNIQUE INDEX i ON t (a)", opTable, "t", ""},
		{"TRUNCATE TABLE t", opTable, "t", ""},
		{"-- only a comment", opEmpty, "", ""},
		{"SELECT 1", opOther, "", ""},
	}
	for _, tc := range tests {
		c := classify(tc.sql, v, true, false)
		if c.op != tc.op || c.table != tc.table || c.name != tc.name {
			t.Errorf("%q: op %d table %q name %q; want op %d table %q name %q", tc.sql, c.op, c.table, c.name, tc.op, tc.table, tc.name)
		}
	}
	if c := classify("SET AUTOCOMMIT=0", v, true, false); !c.autocommit {
		t.Error("SET AUTOCOMMIT=0 not seen as autocommit")
	}
	if c := classify("CREATE DATABASE `src` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci */", v, true, false); c.dbOptions != "DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci" {
		t.Errorf("db options %q", c.dbOptions)
	}
}

func TestDeferIndexes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sql, want string
		adds            []string
	}{
		{"plain keys wait", "CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `a` int,\n  `b` varchar(10),\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `u` (`b`),\n  KEY `ka` (`a`),\n  KEY `kb` (`b`(5),`a`) COMMENT 'x, (y)'\n) ENGINE=InnoDB",
			"CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `a` int,\n  `b` varchar(10),\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `u` (`b`)\n) ENGINE=InnoDB",
			[]string{"ADD KEY `ka` (`a`)", "ADD KEY `kb` (`b`(5),`a`) COMMENT 'x, (y)'"}},
		{"foreign key keeps its index and those before", "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT, KEY ka (a), KEY kb (b), KEY kc (c), CONSTRAINT f FOREIGN KEY (b) REFERENCES u (id))",
			"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT, KEY ka (a), KEY kb (b), CONSTRAINT f FOREIGN KEY (b) REFERENCES u (id))",
			[]string{"ADD KEY kc (c)"}},
		{"self reference", "CREATE TABLE t (id INT PRIMARY KEY, code INT, parent INT, KEY kc (code), KEY kp (parent), FOREIGN KEY (parent) REFERENCES t (code))", "", nil},
		{"auto_increment key", "CREATE TABLE t (a INT, id INT AUTO_INCREMENT, PRIMARY KEY (a, id), KEY kid (id))", "", nil},
		{"myisam", "CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY ka (a)) ENGINE=MyISAM", "", nil},
		{"fulltext stays", "CREATE TABLE t (id INT PRIMARY KEY, a TEXT, FULLTEXT KEY f (a))", "", nil},
		{"comment inside", "CREATE TABLE t (id INT PRIMARY KEY, a INT /* x */, KEY ka (a))", "", nil},
	}
	for _, tc := range tests {
		got, adds, ok := deferIndexes(tc.sql, "t", 101119, true, false)
		if !ok {
			got = ""
		}
		if got != tc.want || !reflect.DeepEqual(adds, tc.adds) {
			t.Errorf("%s:\n got %q %q\nwant %q %q", tc.name, got, adds, tc.want, tc.adds)
		}
	}
}

func TestRenameSchema(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"SELECT * FROM sakila.film f JOIN `sakila`.`actor` a", "SELECT * FROM `tgt`.film f JOIN `tgt`.`actor` a"},
		{"SELECT 'sakila.film', sakila_x.y, x.sakila.z", "SELECT 'sakila.film', sakila_x.y, x.sakila.z"},
		{"SELECT sakila . film", "SELECT sakila . film"},
		{"CALL sakila.p(); -- sakila.q", "CALL `tgt`.p(); -- sakila.q"},
		// a table named like the database: its columns stay
		{"SELECT `sakila`.`id` AS `id` FROM `sakila` JOIN sakila.sakila s ON s.id = sakila.id", "SELECT `sakila`.`id` AS `id` FROM `sakila` JOIN `tgt`.sakila s ON s.id = sakila.id"},
		{"SELECT sakila.f(1), sakila.t.c FROM sakila.t", "SELECT `tgt`.f(1), `tgt`.t.c FROM `tgt`.t"},
		{"CREATE TABLE t (id INT DEFAULT nextval(`sakila`.`s`), j INT DEFAULT (NEXT VALUE FOR sakila.s2))", "CREATE TABLE t (id INT DEFAULT nextval(`tgt`.`s`), j INT DEFAULT (NEXT VALUE FOR `tgt`.s2))"},
		{"CREATE TRIGGER g BEFORE INSERT ON sakila.t FOR EACH ROW INSERT INTO sakila.log SELECT * FROM x, sakila.y", "CREATE TRIGGER g BEFORE INSERT ON `tgt`.t FOR EACH ROW INSERT INTO `tgt`.log SELECT * FROM x, `tgt`.y"},
	}
	for _, tc := range tests {
		if got := renameSchema(tc.in, "sakila", "tgt", 101119, true, false); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
