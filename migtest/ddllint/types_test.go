package ddllint

import "testing"

func TestParseColumnType(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"varchar(140)", "varchar(140)"},
		{"bigint(20) unsigned", "bigint(20) unsigned"},
		{"int(11) unsigned zerofill", "int(11) unsigned"},
		{"decimal(21,9)", "decimal(21,9)"},
		{"NUMERIC(10, 2)", "decimal(10,2)"},
		{"double precision", "double"},
		{"boolean", "tinyint"},
		{"character varying(20)", "varchar(20)"},
		{"national char(3)", "char(3)"},
		{"enum('Open','It''s')", "enum('Open','It''s')"},
		{"datetime(6)", "datetime(6)"},
		{"json", "longtext"},
		{"long varchar", "mediumtext"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := parseColumnType(tt.in).String(); got != tt.want {
			t.Errorf("parseColumnType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLossy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		old, new string
		lossy    bool
	}{
		// strings
		{"varchar(140)", "varchar(40)", true},
		{"varchar(140)", "varchar(140)", false},
		{"varchar(40)", "varchar(140)", false},
		{"text", "varchar(1000)", true},
		{"longtext", "text", true},
		{"varchar(140)", "text", false},
		{"char(10)", "varchar(10)", false},
		{"varbinary(16)", "binary(8)", true},
		{"varchar(10)", "int", true},
		{"varchar(10)", "varbinary(40)", false},
		{"blob", "text", true},
		// integers
		{"bigint(20)", "int(11)", true},
		{"int(11)", "bigint(20)", false},
		{"int(11)", "int(3)", false}, // display width only
		{"int(11)", "int unsigned", true},
		{"int unsigned", "int", true},
		{"int unsigned", "bigint", false},
		{"tinyint(1)", "boolean", false},
		{"smallint", "tinyint", true},
		// decimals
		{"decimal(21,9)", "decimal(21,2)", true},
		{"decimal(21,9)", "decimal(18,9)", true},
		{"decimal(21,9)", "decimal(30,9)", false},
		{"decimal(10,2)", "decimal", true},
		{"decimal", "decimal(12,2)", false},
		{"int", "decimal(10,0)", false},
		{"int", "decimal(9,0)", true},
		{"decimal(10,2)", "int", true},
		{"decimal(9,0)", "int", false},
		{"decimal(21,9)", "double", true},
		{"decimal(10,2)", "double", false},
		{"double", "float", true},
		{"float", "double", false},
		{"double", "decimal(30,10)", true},
		{"bigint", "double", true},
		{"int", "double", false},
		{"int", "float", true},
		// numbers to strings
		{"int", "varchar(11)", false},
		{"int", "varchar(5)", true},
		{"int unsigned", "varchar(10)", false},
		{"decimal(21,9)", "varchar(23)", false},
		{"decimal(21,9)", "varchar(20)", true},
		// temporal
		{"datetime(6)", "datetime", true},
		{"datetime", "datetime(6)", false},
		{"datetime", "date", true},
		{"date", "datetime", false},
		{"datetime", "timestamp", true},
		{"timestamp(6)", "datetime(6)", false},
		{"timestamp(6)", "datetime", true},
		{"date", "varchar(10)", false},
		{"datetime(6)", "varchar(19)", true},
		{"date", "year", true},
		{"time", "time(3)", false},
		// enums
		{"enum('a','b')", "enum('a','b','c')", false},
		{"enum('a','b','c')", "enum('a','b')", true},
		{"enum('Open','Closed')", "varchar(6)", false},
		{"enum('Open','Closed')", "varchar(4)", true},
		{"varchar(10)", "enum('a')", true},
		// unknown types are not judged
		{"geometry", "point", false},
		{"uuid", "varchar(36)", false},
	}
	for _, tt := range tests {
		why, got := lossy(parseColumnType(tt.old), parseColumnType(tt.new))
		if got != tt.lossy {
			t.Errorf("lossy(%s, %s) = %v (%s), want %v", tt.old, tt.new, got, why, tt.lossy)
		}
		if got && why == "" {
			t.Errorf("lossy(%s, %s) gives no reason", tt.old, tt.new)
		}
	}
}
