package domain

import "time"

// The sources of a rotation that AWS reports: a new version of a Parameter
// Store parameter or of a Secrets Manager secret.
const (
	SourceSSM            = "ssm"
	SourceSecretsManager = "secretsmanager"
)

// AWSSource is where a credential's secret lives in AWS, whose versions
// tell when it was rotated (a credential's source: and aws: keys). The
// zero value is no source.
type AWSSource struct {
	Kind     string // SourceSSM or SourceSecretsManager; "" for none
	Name     string // the parameter's name, or the secret's ARN or name
	Region   string // "" for the SDK's default
	Endpoint string // "" for the region's; an override for tests and VPC endpoints
}

// IsZero reports whether there is no source.
func (s AWSSource) IsZero() bool { return s.Kind == "" }

// String names the source for people: "ssm:/my-erp/db/password".
func (s AWSSource) String() string {
	if s.IsZero() {
		return ""
	}
	return s.Kind + ":" + s.Name
}

// Detail is how a credential's source shows in its history: kind, name,
// and the region and endpoint when set ("" for none).
func (s AWSSource) Detail() string {
	if s.IsZero() {
		return ""
	}
	out := s.String()
	if s.Region != "" {
		out += " (region " + s.Region + ")"
	}
	if s.Endpoint != "" {
		out += " (endpoint " + s.Endpoint + ")"
	}
	return out
}

// SourceVersion is the current version of a credential's secret as AWS
// reports it: its id and when it was created. It never holds the value.
type SourceVersion struct {
	CredentialID string
	Source       string // SourceSSM or SourceSecretsManager
	// Version names the version: a parameter's version number where its
	// current value was first written (a policy-only edit or a put of the
	// same value makes later versions without a new value), or a secret's
	// AWSCURRENT VersionId.
	Version string
	At      time.Time // when that version was created
}

// What recording a SourceVersion did.
const (
	VersionRotated = "rotated" // a rotation was recorded at the version's date
	VersionSeen    = "seen"    // already recorded: nothing changed
	VersionOlder   = "older"   // new, but not newer than the latest rotation: recorded as seen, no rotation
)

// SourcedCredential is an active credential whose rotations AWS reports.
type SourcedCredential struct {
	ID     string
	Source AWSSource
}
