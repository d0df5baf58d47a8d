// Package cli is the migrate command line: the commands of SPEC's CLI contract
// over a patch set, so that a team builds its own binary with a main of a few
// lines:
//
//	func main() {
//		os.Exit(cli.Main(context.Background(), patches.Set, os.Args[1:], os.Stdout, os.Stderr))
//	}
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

	"github.com/migtest/migtest/migtest/patch"
)

// Exit codes of the migrate command, as in SPEC's CLI contract.
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // the command failed
	ExitUsage    = 2 // the command line is wrong
	ExitLocked   = 3 // another migration holds the lock
	ExitMismatch = 4 // verification failed or snapshots differ
)

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
	provider   string
	image      string            // --image: the docker providers' server image
	params     map[string]string // extra session settings for the target connection

	log     *slog.Logger
	logSink io.Closer
	secrets *secrets // passwords never written
}

// Main runs the migrate command line with args (without the program name)
// over set, and returns the process exit code. SIGINT and SIGTERM cancel ctx.
func Main(ctx context.Context, set patch.Set, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	sec := &secrets{}
	stdout, stderr = scrubWriter{stdout, sec}, scrubWriter{stderr, sec}
	for _, arg := range args {
		sec.addDSN(arg) // a DSN given anywhere on the command line (--dsn, diff A B)
	}
	sec.addDSN(os.Getenv("MIGRATE_DSN"))
	a := &app{set: set, stdout: stdout, stderr: stderr, secrets: sec}
	root := a.rootCommand()
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
	code := ExitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isUsage(err) {
		code = ExitUsage
	}
	msg := err.Error()
	if !a.verbose {
		msg = trimStacks(msg)
	}
	fmt.Fprintf(stderr, "migrate: %s\n", oneLine(redactError(msg)))
	return code
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

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "migrate",
		Short: "Rehearsed, safe MariaDB migrations: patches as Go code",
		Long: `migrate runs an ordered set of Go patches against a MariaDB (or MySQL) database,
once each, recorded in a patch log, with a backup first, a lock, progress,
verification, a report and a rollback.`,
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

	for _, c := range a.commands() {
		root.AddCommand(c)
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

// commands lists the subcommands.
func (a *app) commands() []*cobra.Command {
	return []*cobra.Command{
		a.statusCommand(),
		a.planCommand(),
		a.upCommand(),
		a.markCommand(),
		a.checkCommand(),
		a.newCommand(),
		a.backupCommand(),
		a.restoreCommand(),
		a.rollbackCommand(),
		a.verifyCommand(),
		a.snapshotCommand(),
		a.diffCommand(),
		a.rehearseCommand(),
		a.sandboxCommand(),
	}
}
