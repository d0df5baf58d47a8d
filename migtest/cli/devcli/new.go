package devcli

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/cli"
)

var patchIDPattern = regexp.MustCompile(`^(v[0-9]+_[0-9]+)\.([a-z][a-z0-9_]*)$`)

func newCommand(env *cli.Env) *cobra.Command {
	var dir, description string
	cmd := &cobra.Command{
		Use:   "new ID",
		Short: "Scaffold a patch package and its rehearsal test, registered last in the patch set",
		Long: `new writes PATCHES/vX_Y/<name>/patch.go and patch_test.go for the patch ID
vX_Y.<snake_name>, and appends it to the ordered list in PATCHES/patches.go.
It refuses an ID that exists already.`,
		Example: `  migtest new v1_1.add_territory_to_customer --description "Add territory to Customer"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path, golden, err := scaffold(dir, args[0], description)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout(), "created %s (registered last in %s)\nnext: write the patch, then: go test ./%s -update\n"+
				"  that writes %s: the patch's change list (schema delta, row counts, patch log), only when every check passes\n",
				path, filepath.Join(dir, "patches.go"), path, golden)
			if whole, test := wholeSetGolden(dir); whole != "" {
				fmt.Fprintf(env.Stdout(), "the whole set's golden %s changes too (it holds the full schema): go test ./%s -run '^%s$' -update\n", whole, filepath.ToSlash(filepath.Clean(dir)), test)
				golden += " " + whole
			}
			fmt.Fprintf(env.Stdout(), "review with git diff, then: git add %s %s\n", path, golden)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "patches", "the patch set's directory (holds patches.go)")
	cmd.Flags().StringVar(&description, "description", "", "one line saying what the patch does")
	return cmd
}

// scaffold creates the patch package for id under dir and registers it; it
// returns the package's directory and the golden file its test will write.
func scaffold(dir, id, description string) (pkgDir, golden string, err error) {
	m := patchIDPattern.FindStringSubmatch(id)
	if m == nil {
		return "", "", usageErrorf("patch ID %q is not of the form vX_Y.snake_name, e.g. v1_1.add_territory", id)
	}
	version, name := m[1], m[2]
	pkg := strings.ReplaceAll(name, "_", "")
	setFile := filepath.Join(dir, "patches.go")
	src, err := os.ReadFile(setFile)
	if err != nil {
		return "", "", usageErrorf("cannot read %s: %v; run new from the module root or pass --dir", setFile, err)
	}
	if bytes.Contains(src, []byte(`"`+id+`"`)) {
		return "", "", usageErrorf("patch %s exists already in %s", id, setFile)
	}
	modPath, modRoot, err := modulePath(dir)
	if err != nil {
		return "", "", err
	}
	pkgDir = filepath.Join(dir, version, pkg)
	if _, err := os.Stat(pkgDir); err == nil {
		return "", "", usageErrorf("%s exists already: choose another name", pkgDir)
	}
	absDir, err := filepath.Abs(pkgDir)
	if err != nil {
		return "", "", err
	}
	rel, err := filepath.Rel(modRoot, absDir)
	if err != nil {
		return "", "", err
	}
	absSet, _ := filepath.Abs(dir)
	relSet, _ := filepath.Rel(modRoot, absSet)
	importPath := modPath + "/" + filepath.ToSlash(rel)
	if description == "" {
		description = strings.ReplaceAll(name, "_", " ")
	}
	data := map[string]string{"Pkg": pkg, "ID": id, "Desc": description, "SetImport": modPath + "/" + filepath.ToSlash(relSet), "Import": importPath,
		"Golden": goldenPath(rel)}

	newSet, err := registerPatch(src, importPath, pkg)
	if err != nil {
		return "", "", fmt.Errorf("register %s in %s: %w", id, setFile, err)
	}
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		return "", "", err
	}
	for file, tmpl := range map[string]string{"patch.go": patchTemplate, "patch_test.go": patchTestTemplate} {
		var buf bytes.Buffer
		if err := template.Must(template.New(file).Parse(tmpl)).Execute(&buf, data); err != nil {
			return "", "", err
		}
		out, err := format.Source(buf.Bytes())
		if err != nil {
			return "", "", fmt.Errorf("format %s: %w", file, err)
		}
		if err := os.WriteFile(filepath.Join(pkgDir, file), out, 0o644); err != nil {
			return "", "", err
		}
	}
	if err := os.WriteFile(setFile, newSet, 0o644); err != nil {
		return "", "", err
	}
	return pkgDir, data["Golden"], nil
}

// registerPatch adds the import and `pkg.Patch,` as the last element of the
// Patches list in the patch set's source.
func registerPatch(src []byte, importPath, pkg string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "patches.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var list *ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Patches" {
			if cl, ok := kv.Value.(*ast.CompositeLit); ok {
				list = cl
			}
		}
		return list == nil
	})
	if list == nil {
		return nil, errors.New("no `Patches: []patch.Patch{...}` list found")
	}
	// Insert after the last element (and its comma), or inside the braces
	// of an empty list; format.Source fixes the indentation.
	var at int
	var text string
	if n := len(list.Elts); n == 0 {
		at = fset.Position(list.Lbrace).Offset + 1
		text = "\n" + pkg + ".Patch,\n"
	} else {
		at = fset.Position(list.Elts[n-1].End()).Offset
		for at < len(src) && (src[at] == ' ' || src[at] == '\t') {
			at++
		}
		if at < len(src) && src[at] == ',' {
			at++
			text = "\n" + pkg + ".Patch,"
		} else {
			text = ",\n" + pkg + ".Patch,\n"
		}
	}
	var out bytes.Buffer
	out.Write(src[:at])
	out.WriteString(text)
	out.Write(src[at:])
	b := out.Bytes()
	// Add the import after the last one.
	imp := fmt.Sprintf("\t%q\n", importPath)
	last := f.Imports[len(f.Imports)-1]
	end := fset.Position(last.End()).Offset
	nl := bytes.IndexByte(b[end:], '\n')
	b = append(b[:end+nl+1], append([]byte(imp), b[end+nl+1:]...)...)
	return format.Source(b)
}

// goldenPath is where migtest.Rehearse keeps the golden of TestRehearse in
// the package at rel (from the module root): its default layout.
func goldenPath(rel string) string {
	return "snapshots/" + filepath.ToSlash(rel) + "/TestRehearse.snap"
}

// modulePath returns the module path and root directory of the module holding dir.
func modulePath(dir string) (string, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
					return f[1], d, nil
				}
			}
			return "", "", fmt.Errorf("%s has no module line", filepath.Join(d, "go.mod"))
		}
		if filepath.Dir(d) == d {
			return "", "", usageErrorf("no go.mod above %s: run new inside your Go module", dir)
		}
	}
}

const patchTemplate = `// Package {{.Pkg}} is the patch {{.ID}}: {{.Desc}}.
package {{.Pkg}}

import (
	"context"

	"github.com/migtest/migtest/migtest/patch"
)

// Patch is {{.ID}}. Write it so that running it twice changes nothing the
// second time: the schema helpers are idempotent and pc.Batch resumes.
var Patch = patch.Patch{
	ID:          "{{.ID}}",
	Description: "{{.Desc}}",
	Run: func(ctx context.Context, pc *patch.Context) error {
		// e.g. return pc.AddColumn(ctx, "tabCustomer", "territory", "varchar(140) NULL")
		return nil
	},
}
`

const patchTestTemplate = `package {{.Pkg}}_test

import (
	"database/sql"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/server/servertest"
	"{{.SetImport}}"
	"{{.Import}}"
)

// TestMain stops the test binary's shared MariaDB when the tests end.
func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearse restores the fixture, runs every patch before this one, then
// this one, and compares what it changed with its change list in
// {{.Golden}}
// (go test -update writes it once every check passes; review it in the pull
// request). It fails on a swallowed error, a DDL lint error (judged by
// snapshots/production.snap), a declared Rows change that did not happen,
// and a patch that is not idempotent or does not resume after a crash.
func TestRehearse(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Patch({{.Pkg}}.Patch.ID), migtest.Check(func(t testing.TB, db *sql.DB) {
		// Assertions on the migrated data, e.g. every row got its new value.
	}))
}
`

// wholeSetGolden finds the whole set's golden in the tests of the set's
// directory (a migtest.Golden("...") in a test without migtest.Patch), and
// the test's name.
var goldenCall = regexp.MustCompile(`func (Test\w+)\(t \*testing\.T\) \{\s*migtest\.Rehearse\(t, \w+\.Set, migtest\.Golden\("([^"]+)"\)`)

func wholeSetGolden(dir string) (golden, test string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if m := goldenCall.FindSubmatch(b); m != nil {
			return string(m[2]), string(m[1])
		}
	}
	return "", ""
}
