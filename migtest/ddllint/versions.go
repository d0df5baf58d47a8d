package ddllint

import (
	"fmt"
	"strings"
)

// Version is a server's flavour and version, as the lint reads it from
// VERSION(): "MariaDB 10.11.19", "MySQL 9.7.4".
type Version struct {
	MariaDB             bool
	Major, Minor, Patch int
}

// ParseVersion reads a VERSION() string, e.g. "10.11.6-MariaDB-0+deb12u1",
// "5.5.5-10.5.23-MariaDB" or "9.7.4-2". What it cannot read stays 0.
func ParseVersion(s string) Version {
	v := Version{MariaDB: strings.Contains(strings.ToLower(s), "mariadb")}
	if v.MariaDB {
		s = strings.TrimPrefix(s, "5.5.5-")
	}
	_, _ = fmt.Sscanf(s, "%d.%d.%d", &v.Major, &v.Minor, &v.Patch)
	return v
}

// AtLeast reports whether v is major.minor.patch or later (of its flavour).
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// String gives "MariaDB 10.11.19" or "MySQL 9.7.4".
func (v Version) String() string {
	return fmt.Sprintf("%s %d.%d.%d", v.flavour(), v.Major, v.Minor, v.Patch)
}

func (v Version) flavour() string {
	if v.MariaDB {
		return "MariaDB"
	}
	return "MySQL"
}

// versionRule is a known difference between server versions in how an
// ALTER TABLE runs: from Since on (on servers of the flavour), What holds;
// before, it does not. The probe answers for the server at hand; these
// rules let a finding say what another version would do.
type versionRule struct {
	id      string
	mariadb bool
	since   [3]int
	what    string
}

// Rule ids of versionRules.
const (
	ruleOnlineCopy    = "online-copy"    // ALGORITHM=COPY with LOCK=NONE
	ruleInstantColumn = "instant-column" // ADD COLUMN anywhere, DROP COLUMN: INSTANT
)

// versionRules are the known rules, one per flavour and behaviour. Sources:
// MariaDB's "InnoDB Online DDL Operations with the INSTANT Alter Algorithm"
// (10.3: ADD COLUMN last; 10.4: any position, DROP COLUMN), MDEV-16329
// (11.2: online ALTER with ALGORITHM=COPY, LOCK=NONE); MySQL 8.0.29 release
// notes (INSTANT ADD COLUMN anywhere, DROP COLUMN). MySQL has no online COPY.
var versionRules = []versionRule{
	{id: ruleOnlineCopy, mariadb: true, since: [3]int{11, 2, 0}, what: "runs ALGORITHM=COPY online (LOCK=NONE): writes continue while the table is copied"},
	{id: ruleInstantColumn, mariadb: true, since: [3]int{10, 4, 0}, what: "adds a column at any position and drops a column INSTANTly"},
	{id: ruleInstantColumn, mariadb: false, since: [3]int{8, 0, 29}, what: "adds a column at any position and drops a column INSTANTly"},
}

// ruleFor returns the rule id's entry for v's flavour, if there is one.
func ruleFor(id string, v Version) (versionRule, bool) {
	for _, r := range versionRules {
		if r.id == id && r.mariadb == v.MariaDB {
			return r, true
		}
	}
	return versionRule{}, false
}

// holds reports whether rule id holds on v (false where v's flavour has no
// such rule: MySQL never copies online).
func holds(id string, v Version) bool {
	r, ok := ruleFor(id, v)
	return ok && v.AtLeast(r.since[0], r.since[1], r.since[2])
}

// elsewhere says how the other side of rule id's boundary behaves, for a
// finding on v: "" when v's flavour has no such rule.
func elsewhere(id string, v Version) string {
	r, ok := ruleFor(id, v)
	if !ok {
		return ""
	}
	since := fmt.Sprintf("%s %d.%d", v.flavour(), r.since[0], r.since[1])
	if r.since[2] != 0 {
		since += fmt.Sprintf(".%d", r.since[2])
	}
	if holds(id, v) {
		return fmt.Sprintf("before %s the server does not: it %s", since, negate(id))
	}
	return fmt.Sprintf("%s and later %s", since, r.what)
}

// negate says what a server before rule id's version does instead.
func negate(id string) string {
	switch id {
	case ruleOnlineCopy:
		return "blocks writes for the whole copy"
	case ruleInstantColumn:
		return "rebuilds the table"
	}
	return "behaves otherwise"
}

// columnAddOrDrop reports an ALTER that drops a column or adds one at a
// given position (FIRST, AFTER): INSTANT only from ruleInstantColumn's
// versions on (adding a column last was INSTANT earlier).
func (st *statement) columnAddOrDrop() bool {
	for _, sp := range st.specs {
		switch sp.kind {
		case specDropColumn:
			return true
		case specAddColumn:
			for _, c := range st.probe {
				u := " " + strings.ToUpper(strings.Join(strings.Fields(c), " ")) + " "
				if strings.Contains(u, " AFTER ") || strings.Contains(u, " FIRST ") {
					return true
				}
			}
		}
	}
	return false
}
