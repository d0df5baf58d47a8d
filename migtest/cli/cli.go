// Package cli is the migrate command line: the production commands of
// SPEC's CLI contract (status, plan, up, mark, check, verify, backup,
// restore, rollback, snapshot, diff) over a patch set, as flags → options →
// calls of migtest/runbook → rendering, so that a team builds its own binary
// with a main of a few lines:
//
//	func main() {
//		os.Exit(cli.Main(context.Background(), patches.Set, os.Args[1:], os.Stdout, os.Stderr))
//	}
//
// The developer commands that need a disposable server (rehearse, sandbox,
// new) are in migtest/cli/devcli, a binary of their own (cmd/migtest), so
// the production binary links no Docker client or test code. Another
// binary adds commands of its own through Run and a Program.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/runbook"
)

// Exit codes of the migrate command, as in SPEC's CLI contract.
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // the command failed
	ExitUsage    = 2 // the command line is wrong
	ExitLocked   = 3 // another migration holds the lock
	ExitMismatch = 4 // verification failed or snapshots differ
)

// Exit returns err with the exit code Main ends with; nil stays nil.
func Exit(code int, err error) error { return withCode(code, err) }

// exitError carries an exit code with the error that caused it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that Main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageErrorf is a command-line mistake (exit 2).
func usageErrorf(format string, args ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, args...))
}

// app holds the global flags and what every command shares.
type app struct {
	set    patch.Set
	stdout io.Writer
	stderr io.Writer

	dsn        string
	dsnFile    string
	siteConfig string
	logFormat  string
	logFile    string
	verbose    bool
	quiet      bool

	log     *slog.Logger
	logSink io.Closer
	secrets *secrets // passwords never written
}

// Program is one binary over this package: its name and help, and its
// commands. Main is Run with the production Program.
type Program struct {
	// Name is the command's name (migrate, migtest).
	Name string
	// Short and Long are the root command's help.
	Short, Long string
	// Commands are the subcommands, in the order help lists them.
	Commands []Command
}

// Command builds one subcommand over the state the root command shares.
type Command func(env *Env) *cobra.Command

// Env is what a command of another package gets from the root command:
// the patch set, the output, and (once the global flags are parsed, that
// is inside RunE) the logger and the verbosity.
type Env struct{ a *app }

// Set is the patch set the binary was built over.
func (e *Env) Set() patch.Set { return e.a.set }

// Stdout is where a command writes its result.
func (e *Env) Stdout() io.Writer { return e.a.stdout }

// Log is the logger the global flags chose (--log-format, -v, -q, --log).
func (e *Env) Log() *slog.Logger { return e.a.log }

// Progress returns the one progress display of the binary for a task
// counted in unit ("rows" or "bytes"): bars on a terminal, else log lines
// with rate and ETA, nothing with -q.
func (e *Env) Progress(unit string) migrate.ProgressFunc { return e.a.progress(unit) }

// Production returns the commands of the production binary, migrate.
func Production() []Command {
	return []Command{
		func(e *Env) *cobra.Command { return e.a.statusCommand() },
		func(e *Env) *cobra.Command { return e.a.planCommand() },
		func(e *Env) *cobra.Command { return e.a.upCommand() },
		func(e *Env) *cobra.Command { return e.a.markCommand() },
		func(e *Env) *cobra.Command { return e.a.checkCommand() },
		func(e *Env) *cobra.Command { return e.a.backupCommand() },
		func(e *Env) *cobra.Command { return e.a.restoreCommand() },
		func(e *Env) *cobra.Command { return e.a.rollbackCommand() },
		func(e *Env) *cobra.Command { return e.a.verifyCommand() },
		func(e *Env) *cobra.Command { return e.a.snapshotCommand() },
		func(e *Env) *cobra.Command { return e.a.diffCommand() },
		movedCommand("rehearse"), movedCommand("sandbox"), movedCommand("new"),
	}
}

// movedCommand is a hidden stand-in for a developer command that lives in
// the migtest binary now: it says where, with exit 2.
func movedCommand(name string) Command {
	return func(*Env) *cobra.Command {
		return &cobra.Command{
			Use: name, Hidden: true, DisableFlagParsing: true,
			RunE: func(*cobra.Command, []string) error {
				return usageErrorf("%s is a developer command of the migtest binary now (make build, or go build -o bin/migtest ./cmd/migtest; then migtest %s ...); the production binary links no disposable-server code", name, name)
			},
		}
	}
}

// production is the Program of the migrate binary.
var production = Program{
	Name:  "migrate",
	Short: "Rehearsed, safe MariaDB migrations: patches as Go code",
	Long: `migrate runs an ordered set of Go patches against a MariaDB (or MySQL) database,
once each, recorded in a patch log, with a backup first, a lock, progress,
verification, a report and a rollback. The developer commands (rehearse,
sandbox, new) are in the migtest binary.`,
}

// Main runs the migrate command line with args (without the program name)
// over set, and returns the process exit code. SIGINT and SIGTERM cancel ctx.
func Main(ctx context.Context, set patch.Set, args []string, stdout, stderr io.Writer) int {
	prog := production
	prog.Commands = Production()
	return Run(ctx, prog, set, args, stdout, stderr)
}

// Run runs the command line of prog with args (without the program name)
// over set, and returns the process exit code. SIGINT and SIGTERM cancel
// ctx. Every program gets the global flags (--dsn, --site-config,
// --log-format, -v, -q, --log) and the same exit codes and error line.
func Run(ctx context.Context, prog Program, set patch.Set, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	sec := &secrets{}
	stdout, stderr = scrubWriter{stdout, sec}, scrubWriter{stderr, sec}
	for _, arg := range args {
		sec.addDSN(arg) // a DSN given anywhere on the command line (--dsn, diff A B)
	}
	sec.addDSN(config.Get(config.EnvMigrateDSN))
	a := &app{set: set, stdout: stdout, stderr: stderr, secrets: sec}
	root := a.rootCommand(prog)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if a.logSink != nil {
		_ = a.logSink.Close()
	}
	if err == nil {
		return ExitOK
	}
	msg := err.Error()
	if !a.verbose {
		msg = trimStacks(msg)
	}
	fmt.Fprintf(stderr, "%s: %s\n", prog.Name, oneLine(redactError(msg)))
	return exitCode(err)
}

// exitCode is the code Main exits with for err: the one Exit gave it, 2
// for a command-line or input mistake, 3 when another run holds the lock,
// 4 for a failed verification, else 1.
func exitCode(err error) int {
	var (
		ee *exitError
		ie *runbook.InputError
		le *migrate.LockedError
		ve *runbook.VerifyError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &le):
		return ExitLocked
	case errors.As(err, &ie), isUsage(err):
		return ExitUsage
	case errors.As(err, &ve):
		return ExitMismatch
	}
	return ExitFailure
}

// stackRE matches a goroutine stack as runtime/debug.Stack prints it.
var stackRE = regexp.MustCompile(`\n?goroutine \d+ \[[^\]]*\]:\n(?:[^\n]*\n\t[^\n]*(?:\n|$))*`)

// trimStacks replaces the stack of a recovered panic in an error text by a
// pointer to where it is kept, so the error stays one readable line.
func trimStacks(s string) string {
	return stackRE.ReplaceAllString(s, " (stack in the patch log and with -v)\n")
}

// isUsage reports whether err is one of cobra's command-line errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// oneLine folds an error message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (a *app) rootCommand(prog Program) *cobra.Command {
	root := &cobra.Command{
		Use:               prog.Name,
		Short:             prog.Short,
		Long:              prog.Long,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd) },
	}
	root.CompletionOptions.DisableDefaultCmd = true
	f := root.PersistentFlags()
	f.StringVar(&a.dsn, "dsn", "", "database to work on: user:pass@tcp(host:3306)/db, user:pass@unix(/sock)/db, mysql:// or mariadb:// URL (env MIGRATE_DSN)")
	f.StringVar(&a.dsnFile, "dsn-file", "", "read the DSN from `FILE` (mode 0600), so that no password shows in the process list as with --dsn")
	f.StringVar(&a.siteConfig, "site-config", "", "a Frappe site_config.json to take the database from, instead of --dsn")
	f.StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&a.logFile, "log", "", "also write the log to `FILE`")
	f.BoolVarP(&a.verbose, "verbose", "v", false, "more detail in logs and errors")
	f.BoolVarP(&a.quiet, "quiet", "q", false, "no progress bars, warnings and errors only")
	root.MarkFlagsMutuallyExclusive("dsn", "dsn-file", "site-config")
	root.MarkFlagsMutuallyExclusive("verbose", "quiet")

	env := &Env{a: a}
	for _, c := range prog.Commands {
		root.AddCommand(c(env))
	}
	return root
}

// setup validates the global flags and builds the logger.
func (a *app) setup(cmd *cobra.Command) error {
	if a.logFormat != "text" && a.logFormat != "json" {
		return usageErrorf("--log-format %q is not known; use text or json", a.logFormat)
	}
	level := slog.LevelInfo
	switch {
	case a.verbose:
		level = slog.LevelDebug
	case a.quiet:
		level = slog.LevelWarn
	}
	w := io.Writer(a.stderr)
	if a.logFile != "" {
		f, err := os.OpenFile(a.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return usageErrorf("cannot open --log file: %v; give a path in a directory that exists and is writable", err)
		}
		a.logSink = f
		w = io.MultiWriter(a.stderr, scrubWriter{f, a.secrets})
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if a.logFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	a.log = slog.New(h)
	if a.dsnFile != "" {
		b, err := os.ReadFile(a.dsnFile)
		if err != nil {
			return usageErrorf("cannot read --dsn-file: %v; give a file holding one DSN", err)
		}
		if a.dsn = strings.TrimSpace(string(b)); a.dsn == "" {
			return usageErrorf("--dsn-file %s is empty; write the DSN into it", a.dsnFile)
		}
		a.secrets.addDSN(a.dsn)
		if st, err := os.Stat(a.dsnFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			a.log.Warn("the --dsn-file is readable by other users: chmod 600 it", "file", a.dsnFile, "mode", st.Mode().Perm())
		}
	}
	return nil
}
