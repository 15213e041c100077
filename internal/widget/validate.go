package widget

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/store"
)

// Limits of a widget's configuration.
const (
	MaxNameChars       = 127
	MaxOrigins         = 20
	MaxTitleChars      = 100
	MaxGreetingChars   = 1000
	MaxLogoURLChars    = 2048
	MaxFields          = 10
	MaxLabelChars      = 100
	MaxOptions         = 20
	MaxOptionChars     = 100
	MaxRateLimitPerMin = 1000
)

var (
	fieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,49}$`)
	hexColor  = regexp.MustCompile(`^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$`)
	locale    = regexp.MustCompile(`^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$`)
	hostLabel = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
)

func invalid(format string, args ...any) error {
	return fault.Errorf(fault.InvalidParameter, format, args...)
}

// normalize validates a widget's configuration and fills in its defaults.
func normalize(w *Widget) error {
	if n := utf8.RuneCountInString(w.Name); n < 1 || n > MaxNameChars {
		return invalid("Name must be 1 to %d characters", MaxNameChars)
	}
	if w.ContactFlowID == "" {
		return invalid("ContactFlowId is required")
	}
	if n := len(w.AllowedOrigins); n < 1 || n > MaxOrigins {
		return invalid("AllowedOrigins must list 1 to %d origins", MaxOrigins)
	}
	origins := make([]string, 0, len(w.AllowedOrigins))
	for _, o := range w.AllowedOrigins {
		p, err := parseAllowedOrigin(o)
		if err != nil {
			return invalid("AllowedOrigins: %q: %s", o, err.Error())
		}
		if s := p.String(); !slices.Contains(origins, s) {
			origins = append(origins, s)
		}
	}
	w.AllowedOrigins = origins
	if w.Title == "" {
		w.Title = DefaultTitle
	}
	if utf8.RuneCountInString(w.Title) > MaxTitleChars {
		return invalid("Title must be at most %d characters", MaxTitleChars)
	}
	if utf8.RuneCountInString(w.Greeting) > MaxGreetingChars {
		return invalid("Greeting must be at most %d characters", MaxGreetingChars)
	}
	if w.LogoURL != "" {
		u, err := url.Parse(w.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(w.LogoURL) > MaxLogoURLChars {
			return invalid("LogoUrl must be an https URL of at most %d characters", MaxLogoURLChars)
		}
	}
	switch w.Position {
	case "":
		w.Position = PositionBottomRight
	case PositionBottomRight, PositionBottomLeft:
	default:
		return invalid("Position must be %s or %s", PositionBottomRight, PositionBottomLeft)
	}
	for _, c := range []struct {
		name string
		v    *string
		def  string
	}{{"Theme.Primary", &w.Theme.Primary, DefaultPrimary}, {"Theme.Text", &w.Theme.Text, DefaultText}, {"Theme.Background", &w.Theme.Background, DefaultBackground}} {
		if *c.v == "" {
			*c.v = c.def
		}
		if !hexColor.MatchString(*c.v) {
			return invalid("%s must be a hex colour such as #1a2b3c or #abc", c.name)
		}
	}
	if err := checkForm(w.PreChatForm); err != nil {
		return err
	}
	switch r := w.RateLimitPerMinute; {
	case r == 0:
		w.RateLimitPerMinute = DefaultRateLimitPerMinute
	case r < 1 || r > MaxRateLimitPerMin:
		return invalid("RateLimitPerMinute must be 1 to %d", MaxRateLimitPerMin)
	}
	if w.Locale == "" {
		w.Locale = DefaultLocale
	}
	if len(w.Locale) > 35 || !locale.MatchString(w.Locale) {
		return invalid("Locale must be a language tag such as en or pt-BR")
	}
	return nil
}

func checkForm(f PreChatForm) error {
	if len(f.Fields) > MaxFields {
		return invalid("PreChatForm.Fields: at most %d fields", MaxFields)
	}
	seen := map[string]bool{}
	for i, fd := range f.Fields {
		at := fmt.Sprintf("PreChatForm.Fields[%d]", i)
		if !fieldName.MatchString(fd.Name) {
			return invalid("%s.Name must start with a letter and have up to 50 letters, digits or underscores", at)
		}
		if fd.Name == "widgetId" || fd.Name == "customerId" {
			return invalid("%s.Name %q is reserved", at, fd.Name)
		}
		if seen[fd.Name] {
			return invalid("%s.Name %q is used twice", at, fd.Name)
		}
		seen[fd.Name] = true
		if n := utf8.RuneCountInString(fd.Label); n < 1 || n > MaxLabelChars {
			return invalid("%s.Label must be 1 to %d characters", at, MaxLabelChars)
		}
		switch fd.Type {
		case FieldText, FieldEmail, FieldTextarea:
			if len(fd.Options) > 0 {
				return invalid("%s.Options are only for select fields", at)
			}
		case FieldSelect:
			if n := len(fd.Options); n < 1 || n > MaxOptions {
				return invalid("%s.Options must list 1 to %d choices", at, MaxOptions)
			}
			for _, o := range fd.Options {
				if n := utf8.RuneCountInString(o); n < 1 || n > MaxOptionChars {
					return invalid("%s.Options must be 1 to %d characters each", at, MaxOptionChars)
				}
			}
		default:
			return invalid("%s.Type must be text, email, select or textarea", at)
		}
	}
	return nil
}

// checkFlow requires flowID to be a flow of instanceID that chats can
// start in (flow.CanStartChats).
func checkFlow(tx store.Tx, instanceID, flowID string) error {
	f, err := tx.GetContactFlow(instanceID, flowID)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("ContactFlowId: contact flow %s not found", flowID)
	} else if err != nil {
		return fmt.Errorf("get contact flow %s: %w", flowID, err)
	}
	if err := flow.CanStartChats(f); err != nil {
		return invalid("ContactFlowId: %s", err.Error())
	}
	return nil
}

// origin is a parsed origin or origin pattern. wildcard means Host is a
// domain whose subdomains (at any depth, not the domain itself) match.
type origin struct {
	Scheme   string
	Host     string // lower case, without the "*." of a wildcard
	Port     string // empty for the scheme's default port
	Wildcard bool
}

func (o origin) String() string {
	s := o.Scheme + "://"
	if o.Wildcard {
		s += "*."
	}
	s += o.Host
	if o.Port != "" {
		s += ":" + o.Port
	}
	return s
}

// isLoopback reports whether host may be served over plain http.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}

// parseOrigin parses what a browser sends as Origin, or, with
// allowWildcard, an allowed origin pattern.
func parseOrigin(s string, allowWildcard bool) (origin, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return origin{}, errors.New("must be scheme://host[:port]")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "https" && scheme != "http" {
		return origin{}, errors.New("the scheme must be https (or http for localhost)")
	}
	if rest == "" || strings.ContainsAny(rest, "/?#@\\ ") {
		return origin{}, errors.New("an origin has no path, query, fragment or user information")
	}
	o := origin{Scheme: scheme}
	host := strings.ToLower(rest)
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		o.Port, host = host[i+1:], host[:i]
		n, err := strconv.Atoi(o.Port)
		if err != nil || n < 1 || n > 65535 || o.Port[0] == '0' {
			return origin{}, errors.New("the port must be a number from 1 to 65535")
		}
		if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			o.Port = ""
		}
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		if !allowWildcard {
			return origin{}, errors.New("not an origin")
		}
		if scheme != "https" {
			return origin{}, errors.New("a wildcard origin must be https")
		}
		if !strings.Contains(rest, ".") {
			return origin{}, errors.New("a wildcard must stand for subdomains of a domain such as *.example.com")
		}
		o.Wildcard, host = true, rest
	}
	if host == "[::1]" {
		o.Host = host
	} else {
		labels := strings.Split(host, ".")
		for _, l := range labels {
			if !hostLabel.MatchString(l) {
				if strings.Contains(l, "*") {
					return origin{}, errors.New("only a leading *. wildcard is allowed")
				}
				return origin{}, errors.New("the host is not a valid domain name or IPv4 address")
			}
		}
		o.Host = host
	}
	if scheme == "http" && !isLoopback(o.Host) {
		return origin{}, errors.New("http is only allowed for localhost and 127.0.0.1; use https")
	}
	return o, nil
}

func parseAllowedOrigin(s string) (origin, error) { return parseOrigin(s, true) }

// originAllowed reports whether the Origin header value got is one of
// allowed (normalised patterns as normalize stores them).
func originAllowed(allowed []string, got string) bool {
	if got == "" || got == "null" {
		return false
	}
	o, err := parseOrigin(got, false)
	if err != nil {
		return false
	}
	for _, a := range allowed {
		p, err := parseOrigin(a, true)
		if err != nil || p.Scheme != o.Scheme || p.Port != o.Port {
			continue
		}
		if !p.Wildcard && p.Host == o.Host {
			return true
		}
		if p.Wildcard && strings.HasSuffix(o.Host, "."+p.Host) {
			return true
		}
	}
	return false
}
