package dump

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/pgzip"
)

// The employees-shaped benchmark: the shape of the public "employees"
// sample database (300,024 employees, 2.8 M narrow salary rows keyed by
// (emp_no, from_date), titles, department history, views over joins),
// generated here from a fixed-seed PRNG; nothing is downloaded.

const narrowVersion = "v1" // bump when the generator changes

var narrowTables = []struct{ name, create string }{
	{"departments", "CREATE TABLE `departments` (\n  `dept_no` char(4) NOT NULL,\n  `dept_name` varchar(40) NOT NULL,\n  PRIMARY KEY (`dept_no`),\n  UNIQUE KEY `dept_name` (`dept_name`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
	{"employees", "CREATE TABLE `employees` (\n  `emp_no` int(11) NOT NULL,\n  `birth_date` date NOT NULL,\n  `first_name` varchar(14) NOT NULL,\n  `last_name` varchar(16) NOT NULL,\n  `gender` enum('M','F') NOT NULL,\n  `hire_date` date NOT NULL,\n  PRIMARY KEY (`emp_no`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
	{"dept_emp", "CREATE TABLE `dept_emp` (\n  `emp_no` int(11) NOT NULL,\n  `dept_no` char(4) NOT NULL,\n  `from_date` date NOT NULL,\n  `to_date` date NOT NULL,\n  PRIMARY KEY (`emp_no`,`dept_no`),\n  KEY `dept_no` (`dept_no`),\n  CONSTRAINT `dept_emp_ibfk_1` FOREIGN KEY (`emp_no`) REFERENCES `employees` (`emp_no`) ON DELETE CASCADE,\n  CONSTRAINT `dept_emp_ibfk_2` FOREIGN KEY (`dept_no`) REFERENCES `departments` (`dept_no`) ON DELETE CASCADE\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
	{"dept_manager", "CREATE TABLE `dept_manager` (\n  `emp_no` int(11) NOT NULL,\n  `dept_no` char(4) NOT NULL,\n  `from_date` date NOT NULL,\n  `to_date` date NOT NULL,\n  PRIMARY KEY (`emp_no`,`dept_no`),\n  KEY `dept_no` (`dept_no`),\n  CONSTRAINT `dept_manager_ibfk_1` FOREIGN KEY (`emp_no`) REFERENCES `employees` (`emp_no`) ON DELETE CASCADE,\n  CONSTRAINT `dept_manager_ibfk_2` FOREIGN KEY (`dept_no`) REFERENCES `departments` (`dept_no`) ON DELETE CASCADE\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
	{"salaries", "CREATE TABLE `salaries` (\n  `emp_no` int(11) NOT NULL,\n  `salary` int(11) NOT NULL,\n  `from_date` date NOT NULL,\n  `to_date` date NOT NULL,\n  PRIMARY KEY (`emp_no`,`from_date`),\n  CONSTRAINT `salaries_ibfk_1` FOREIGN KEY (`emp_no`) REFERENCES `employees` (`emp_no`) ON DELETE CASCADE\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
	{"titles", "CREATE TABLE `titles` (\n  `emp_no` int(11) NOT NULL,\n  `title` varchar(50) NOT NULL,\n  `from_date` date NOT NULL,\n  `to_date` date DEFAULT NULL,\n  PRIMARY KEY (`emp_no`,`title`,`from_date`),\n  CONSTRAINT `titles_ibfk_1` FOREIGN KEY (`emp_no`) REFERENCES `employees` (`emp_no`) ON DELETE CASCADE\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
}

var narrowViews = []string{
	"CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY INVOKER VIEW `dept_emp_latest_date` AS select `dept_emp`.`emp_no` AS `emp_no`,max(`dept_emp`.`from_date`) AS `from_date`,max(`dept_emp`.`to_date`) AS `to_date` from `dept_emp` group by `dept_emp`.`emp_no`",
	"CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY INVOKER VIEW `current_dept_emp` AS select `l`.`emp_no` AS `emp_no`,`d`.`dept_no` AS `dept_no`,`l`.`from_date` AS `from_date`,`l`.`to_date` AS `to_date` from (`dept_emp` `d` join `dept_emp_latest_date` `l` on(`d`.`emp_no` = `l`.`emp_no` and `d`.`from_date` = `l`.`from_date` and `l`.`to_date` = `d`.`to_date`))",
	"CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY INVOKER VIEW `current_salaries` AS select `employees`.`emp_no` AS `emp_no`,`employees`.`last_name` AS `last_name`,`s`.`salary` AS `salary` from (`employees` join `salaries` `s` on(`s`.`emp_no` = `employees`.`emp_no`)) where `s`.`to_date` = '9999-01-01'",
}

// narrowEmployees is the number of employees; the other tables follow.
const narrowEmployees = 300_024

// narrowRows are the generated rows per table (checked after each load).
var (
	narrowRows map[string]int
	narrowOnce sync.Once
)

// narrowDump returns the generated employees-shaped dump (mariadb-dump
// style, ~1 MB extended INSERTs, in key order as mariadb-dump reads
// InnoDB tables), written on first use to os.TempDir().
func narrowDump(b *testing.B) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), "migtest-bench-employees-"+narrowVersion+".sql.gz")
	narrowOnce.Do(func() { narrowRows = generateNarrow(nil) })
	if _, err := os.Stat(p); err == nil {
		return p
	}
	tmp := p + ".tmp" + strconv.Itoa(os.Getpid())
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	zw := pgzip.NewWriter(f)
	w := bufio.NewWriterSize(zw, 1<<20)
	generateNarrow(w)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	return p
}

// generateNarrow writes the dump to w (nil: only counts) and returns the
// rows per table.
func generateNarrow(w *bufio.Writer) map[string]int {
	rng := rand.New(rand.NewPCG(1985, 2))
	counts := map[string]int{}
	out := func(s string) {
		if w != nil {
			w.WriteString(s)
		}
	}
	out("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB (generated by migtest's BenchmarkRestoreNarrow)\n--\n-- Host: localhost    Database: employees\n\n")
	out("/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n\n")
	first := []string{"Georgi", "Bezalel", "Parto", "Chirstian", "Kyoichi", "Anneke", "Tzvetan", "Saniya", "Sumant", "Duangkaew", "Mary", "Patricio", "Eberhardt", "Berni", "Guoxiang"} //nolint:misspell // the employees sample spells it so (emp_no 10004)
	last := []string{"Facello", "Simmel", "Bamford", "Koblick", "Maliniak", "Preusig", "Zielinski", "Kalloufi", "Peac", "Piveteau", "Sluis", "Bridgland", "Terkki", "Genin", "Nooteboom"}
	titles := []string{"Engineer", "Senior Engineer", "Staff", "Senior Staff", "Assistant Engineer", "Technique Leader", "Manager"}
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	base := time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC)
	end := "9999-01-01"
	type gen func(emit func(string))
	data := map[string]gen{
		"departments": func(emit func(string)) {
			for i, n := range []string{"Marketing", "Finance", "Human Resources", "Production", "Development", "Quality Management", "Sales", "Research", "Customer Service"} {
				emit(fmt.Sprintf("('d%03d','%s')", i+1, n))
			}
		},
		"dept_manager": func(emit func(string)) {
			for i := range 24 {
				emit(fmt.Sprintf("(%d,'d%03d','%s','%s')", 110000+i*17, i%9+1, day(base.AddDate(i, 0, 0)), end))
			}
		},
	}
	// The per-employee tables are drawn together, employee by employee,
	// then written table by table in key order.
	var emps, deptEmp, sal, tit []string
	for e := range narrowEmployees {
		no := 10001 + e
		hire := base.AddDate(0, 0, rng.IntN(14*365))
		birth := time.Date(1952+rng.IntN(13), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		emps = append(emps, fmt.Sprintf("(%d,'%s','%s','%s','%s','%s')", no, day(birth), first[rng.IntN(len(first))], last[rng.IntN(len(last))], []string{"M", "F"}[rng.IntN(2)], day(hire)))
		d1 := 1 + rng.IntN(9)
		if rng.IntN(10) == 0 {
			d2 := d1%9 + 1
			mid := hire.AddDate(rng.IntN(5)+1, 0, 0)
			lo, hi := min(d1, d2), max(d1, d2)
			deptEmp = append(deptEmp, fmt.Sprintf("(%d,'d%03d','%s','%s')", no, lo, day(hire), day(mid)), fmt.Sprintf("(%d,'d%03d','%s','%s')", no, hi, day(mid), end))
		} else {
			deptEmp = append(deptEmp, fmt.Sprintf("(%d,'d%03d','%s','%s')", no, d1, day(hire), end))
		}
		n := 1 + rng.IntN(18) // 9.5 salary rows per employee on average
		pay := 40000 + rng.IntN(40000)
		from := hire
		for k := range n {
			to := end
			next := from.AddDate(1, 0, 0)
			if k < n-1 {
				to = day(next)
			}
			sal = append(sal, fmt.Sprintf("(%d,%d,'%s','%s')", no, pay, day(from), to))
			pay += rng.IntN(3000)
			from = next
		}
		t1 := rng.IntN(len(titles) - 1)
		if rng.IntN(2) == 0 {
			mid := hire.AddDate(3+rng.IntN(5), 0, 0)
			tit = append(tit, fmt.Sprintf("(%d,'%s','%s','%s')", no, titles[t1], day(hire), day(mid)), fmt.Sprintf("(%d,'%s','%s','%s')", no, titles[t1+1], day(mid), end))
		} else {
			tit = append(tit, fmt.Sprintf("(%d,'%s','%s','%s')", no, titles[t1], day(hire), end))
		}
	}
	list := func(rows []string) gen {
		return func(emit func(string)) {
			for _, r := range rows {
				emit(r)
			}
		}
	}
	data["employees"], data["dept_emp"], data["salaries"] = list(emps), list(deptEmp), list(sal)
	// titles in key order (emp_no, title, from_date) as mariadb-dump reads them
	data["titles"] = list(tit)
	for _, t := range narrowTables {
		out(fmt.Sprintf("--\n-- Table structure for table `%s`\n--\n\nDROP TABLE IF EXISTS `%s`;\n%s;\n\n", t.name, t.name, t.create))
		out(fmt.Sprintf("--\n-- Dumping data for table `%s`\n--\n\nLOCK TABLES `%s` WRITE;\n/*!40000 ALTER TABLE `%s` DISABLE KEYS */;\n", t.name, t.name, t.name))
		var line []byte
		n := 0
		data[t.name](func(row string) {
			n++
			if len(line) == 0 {
				line = append(line, "INSERT INTO `"+t.name+"` VALUES "...)
			} else {
				line = append(line, ',')
			}
			line = append(line, row...)
			if len(line) >= 1<<20 {
				out(string(line) + ";\n")
				line = line[:0]
			}
		})
		if len(line) > 0 {
			out(string(line) + ";\n")
		}
		counts[t.name] = n
		out(fmt.Sprintf("/*!40000 ALTER TABLE `%s` ENABLE KEYS */;\nUNLOCK TABLES;\n\n", t.name))
	}
	for _, v := range narrowViews {
		out(v + ";\n\n")
	}
	out("/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n\n-- Dump completed on 2026-01-01  0:00:00\n")
	return counts
}

// BenchmarkRestoreNarrow loads the employees-shaped dump (3.9 M narrow
// rows, composite primary keys): ours against `zcat | mariadb` and
// myloader, as BenchmarkRestore.
func BenchmarkRestoreNarrow(b *testing.B) {
	dump := narrowDump(b)
	myDir := myloaderDir(b, "employees-"+narrowVersion, dump)
	restoreBenchmarks(b, dump, myDir, func(b *testing.B, tg target) { checkRows(b, tg, narrowRows) })
}
