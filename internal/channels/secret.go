package channels

// Secret is a string that must never be printed: a token, a password, a
// webhook URL with a key in it. Its String, GoString and marshalled forms
// are "<secret>", so a Secret formatted by fmt, slog or encoding/json does
// not leak. Use string(s) where the value itself is needed.
type Secret string

const redactedSecret = "<secret>"

func (s Secret) String() string   { return redactedSecret }
func (s Secret) GoString() string { return redactedSecret }

// MarshalText keeps the value out of JSON, YAML and slog's text handler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redactedSecret), nil }
