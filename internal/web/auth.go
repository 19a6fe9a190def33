package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notifier-dev/notifier/internal/config"
)

// sessionCookie is the cookie a users-file login is kept in.
const sessionCookie = "notifier_session"

// csrfField is the form field every POST carries its token in.
const csrfField = "csrf"

// who is the person a request comes from.
type who struct {
	User, Role string
	// binding is what the CSRF token is bound to: the session's nonce,
	// or the proxy's user.
	binding string
}

// canAct says whether w may acknowledge, snooze and record rotations.
func (w who) canAct() bool { return w.Role == config.RoleResponder }

// errUntrusted is a proxy's user header from an address not trusted.
var errUntrusted = errors.New("console: a proxy user header came from an address not in http.console.proxy.trusted")

// identify says who sent r: the trusted proxy's header, else a valid
// session cookie. ok is false for nobody; errUntrusted when r carries the
// proxy's header from another address (never believed).
func (s *Server) identify(r *http.Request) (who, bool, error) {
	c := s.cfg
	if p := c.Proxy; p != nil {
		user := r.Header.Get(p.UserHeader)
		roleHeader := ""
		if p.RoleHeader != "" {
			roleHeader = r.Header.Get(p.RoleHeader)
		}
		if user != "" || roleHeader != "" {
			if !trusted(r.RemoteAddr, p.Trusted) {
				return who{}, false, errUntrusted
			}
			if user == "" {
				return who{}, false, nil
			}
			role := c.RoleOf(user)
			if p.RoleHeader != "" {
				role = roleHeader
				if role != config.RoleResponder {
					role = config.RoleViewer // anything else reads only
				}
			}
			return who{User: user, Role: role, binding: "proxy\x00" + user}, true, nil
		}
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || c.Users == nil {
		return who{}, false, nil
	}
	user, nonce, ok := s.openSession(ck.Value)
	if !ok {
		return who{}, false, nil
	}
	return who{User: user, Role: c.RoleOf(user), binding: "session\x00" + nonce}, true, nil
}

// trusted says whether the request's peer is one of the proxy's addresses.
func trusted(remote string, nets []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// mac is HMAC-SHA256 under the session key of the parts, each
// length-prefixed so that no two part lists sign alike.
func (s *Server) mac(parts ...string) []byte {
	h := hmac.New(sha256.New, []byte(s.cfg.SessionKey))
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return h.Sum(nil)
}

var b64 = base64.RawURLEncoding

// newSession is a session cookie's value for user: its expiry, a random
// nonce (the CSRF token's binding) and the user, signed. The role is not
// in it: the config says it at each request.
func (s *Server) newSession(user string) string {
	var n [16]byte
	rand.Read(n[:])
	payload := strconv.FormatInt(s.now().Add(s.cfg.SessionTTL).Unix(), 10) + "|" + b64.EncodeToString(n[:]) + "|" + user
	return b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(s.mac("session", payload))
}

// openSession checks a session cookie's value: signed by us, not
// expired, for a user the users file still has.
func (s *Server) openSession(v string) (user, nonce string, ok bool) {
	p, sig, found := strings.Cut(v, ".")
	if !found {
		return "", "", false
	}
	payload, err1 := b64.DecodeString(p)
	got, err2 := b64.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(got, s.mac("session", string(payload))) {
		return "", "", false
	}
	parts := strings.SplitN(string(payload), "|", 3)
	if len(parts) != 3 {
		return "", "", false
	}
	exp, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return "", "", false
	}
	if _, ok := s.cfg.Users[parts[2]]; !ok {
		return "", "", false
	}
	return parts[2], parts[1], true
}

// csrfToken is the token w's forms carry.
func (s *Server) csrfToken(w who) string { return b64.EncodeToString(s.mac("csrf", w.binding)) }

// checkCSRF says whether the form's token is w's.
func (s *Server) checkCSRF(r *http.Request, w who) bool {
	got, err := b64.DecodeString(r.PostFormValue(csrfField))
	return err == nil && hmac.Equal(got, s.mac("csrf", w.binding))
}

// dummyHash is compared against when the user is unknown, so that a
// wrong name takes as long as a wrong password.
// Made on the first login, not when the package loads: every command of
// the binary paid its 60 ms of bcrypt at start-up.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), bcrypt.DefaultCost)
	return h
})

// checkPassword says whether password is user's.
func (s *Server) checkPassword(user, password string) bool {
	hash, ok := s.cfg.Users[user]
	if !ok {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// secureCookie says whether the session cookie is marked Secure: always,
// except on plain HTTP to a loopback address (a console on 127.0.0.1,
// where no network carries it and a browser would otherwise drop it).
func secureCookie(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return false
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err != nil || !a.IsLoopback()
}

// setSession sets (or, with value "", clears) the session cookie.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, value string) {
	ck := &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: secureCookie(r), SameSite: http.SameSiteStrictMode}
	if value == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = s.now().Add(s.cfg.SessionTTL)
	}
	http.SetCookie(w, ck)
}
