package config

import (
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// sourceBlock is a credential's source: block, of exactly one key.
type sourceBlock struct {
	SSMParameter         *yaml.Node `yaml:"ssm_parameter"`
	SecretsManagerSecret *yaml.Node `yaml:"secretsmanager_secret"`
}

// awsBlock is a credential's aws: block.
type awsBlock struct {
	Region   *yaml.Node `yaml:"region"`
	Endpoint *yaml.Node `yaml:"endpoint"`
}

var (
	// A Parameter Store name (a/b, /a/b) or ARN, as AWS allows them.
	ssmNameRE = regexp.MustCompile(`^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/)?[A-Za-z0-9_.\-/]+$`)
	// A Secrets Manager name or ARN.
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@\-:]+$`)
)

// source reads a credential's source: block.
func (l *loader) source(n *yaml.Node, key string) domain.AWSSource {
	var b sourceBlock
	if !l.decode(n, key, &b) {
		return domain.AWSSource{}
	}
	k, v := "ssm_parameter", b.SSMParameter
	if v == nil {
		k, v = "secretsmanager_secret", b.SecretsManagerSecret
	}
	if v == nil || (b.SSMParameter != nil && b.SecretsManagerSecret != nil) {
		if len(n.Content) == 0 || v != nil {
			l.errf(n, key, "give exactly one of ssm_parameter: NAME or secretsmanager_secret: ARN-or-name")
		}
		return domain.AWSSource{}
	}
	name, ok := l.str(v, key+"."+k)
	if !ok {
		return domain.AWSSource{}
	}
	if len(name) > 2048 {
		l.errf(v, key+"."+k, "is longer than AWS allows (2048)")
		return domain.AWSSource{}
	}
	s := domain.AWSSource{Name: name}
	switch k {
	case "ssm_parameter":
		s.Kind = domain.SourceSSM
		if !ssmNameRE.MatchString(name) {
			l.errf(v, key+"."+k, "%s is not a Parameter Store name (letters, digits and _ . - /, e.g. /my-app/db/password) or ARN", quoted(name))
			return domain.AWSSource{}
		}
	case "secretsmanager_secret":
		s.Kind = domain.SourceSecretsManager
		if !secretNameRE.MatchString(name) {
			l.errf(v, key+"."+k, "%s is not a Secrets Manager secret name (letters, digits and / _ + = . @ -) or ARN", quoted(name))
			return domain.AWSSource{}
		}
	}
	return s
}

// aws reads a credential's aws: block into s.
func (l *loader) aws(n *yaml.Node, key string, s *domain.AWSSource) {
	var b awsBlock
	if !l.decode(n, key, &b) {
		return
	}
	if v := b.Region; v != nil {
		if r, ok := l.str(v, key+".region"); ok && r != "" {
			if !regionRE.MatchString(r) {
				l.errf(v, key+".region", "%s is not an AWS region (e.g. us-east-2)", quoted(r))
			}
			s.Region = r
		}
	}
	if v := b.Endpoint; v != nil {
		if e, ok := l.str(v, key+".endpoint"); ok && e != "" {
			if msg := httpURLProblem(e, false); msg != "" {
				l.errf(v, key+".endpoint", "%s is not an endpoint URL: %s", quoted(e), msg)
			}
			s.Endpoint = e
		}
	}
}
