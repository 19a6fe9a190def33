// Package leak finds secrets in what a test collected (outputs, logs,
// database bytes) in the forms they take on the wire. It computes the
// forms itself, independently of channels.Redactor, so that a test of the
// Redactor does not grade its own homework.
package leak

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// Forms are the secrets with their wire forms: as they are, URL query- and
// path-escaped, and base64 in both alphabets, with and without padding.
func Forms(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
		out = append(out, Base64(s)...)
	}
	return out
}

// Base64 is s in base64, both alphabets, with and without padding.
func Base64(s string) []string {
	b := []byte(s)
	return []string{
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
}

// Find returns the forms that occur in text, each once.
func Find(text string, forms []string) []string {
	var found []string
	seen := map[string]bool{}
	for _, f := range forms {
		if f != "" && !seen[f] && strings.Contains(text, f) {
			seen[f] = true
			found = append(found, f)
		}
	}
	return found
}
