package cli

import (
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/migtest/migtest/migtest/dsn"
)

// secrets are the passwords a command was given. Everything the command
// writes (output, logs, the --log file, the error line) goes through
// scrub, so no message can show one, whatever it quotes: an unparsable DSN
// whose password holds '/', '@' or spaces (which dsn.Redact cannot find),
// or a driver error.
type secrets struct {
	mu   sync.Mutex
	list []string
}

// add records passwords; shorter than 4 bytes they are not scrubbed (every
// "a" in the output would go).
func (s *secrets) add(vals ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vals {
		if len(v) < 4 {
			continue
		}
		// As given, and as quoted by %q, slog and JSON.
		q := strconv.Quote(v)
		for _, form := range []string{v, q[1 : len(q)-1]} {
			if !contains(s.list, form) {
				s.list = append(s.list, form)
			}
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// addDSN records the password of a DSN as given, parsable or not: the
// parsed password, and the text between the user's ':' and the last '@'.
func (s *secrets) addDSN(raw string) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "@") || !strings.Contains(raw, "tcp(") && !strings.Contains(raw, "unix(") &&
		!strings.Contains(raw, "://") && !strings.Contains(raw, "@/") {
		return // not a DSN
	}
	if cfg, err := dsn.Parse(raw); err == nil {
		s.add(cfg.Passwd)
	}
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok {
				s.add(p)
			}
		}
	}
	if i, j := strings.Index(rest, ":"), strings.LastIndex(rest, "@"); i >= 0 && j > i+1 {
		pw := rest[i+1 : j]
		s.add(pw)
		// A parse error of the driver may quote a piece of the DSN cut at
		// one of its delimiters: scrub the password's pieces too.
		s.add(strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune(":/@()?&= ", r) })...)
	}
}

// scrub replaces every recorded password in text.
func (s *secrets) scrub(text string) string {
	if s == nil {
		return text
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.list {
		text = strings.ReplaceAll(text, v, "xxx")
	}
	return text
}

// scrubWriter writes through w with the secrets scrubbed. Writers of
// lines (loggers, fmt.Fprintln) hand it whole messages.
type scrubWriter struct {
	w io.Writer
	s *secrets
}

func (sw scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(sw.w, sw.s.scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
