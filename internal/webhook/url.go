package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// CheckURL reports whether raw may be registered as a function endpoint:
// an absolute https URL with a host, or an http URL whose host is
// "localhost" or a loopback address (for local development and tests).
// User information and fragments are refused.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("endpoint URL is invalid: %w", err)
	}
	if u.User != nil {
		return errors.New("endpoint URL must not contain user information")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("endpoint URL must not contain a fragment")
	}
	if u.Opaque != "" {
		return errors.New("endpoint URL must be absolute, like https://host/path")
	}
	switch u.Scheme {
	case "https":
		if u.Hostname() == "" {
			return errors.New("endpoint URL has no host")
		}
		return nil
	case "http":
		if !isLoopback(u.Hostname()) {
			return errors.New("endpoint URL must use https (plain http only for localhost)")
		}
		return nil
	case "":
		return errors.New("endpoint URL must be absolute, like https://host/path")
	}
	return fmt.Errorf("endpoint URL scheme %q is not https", u.Scheme)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}
