package sns

import (
	"errors"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/notifier-dev/notifier/internal/channels"
)

// retryableCodes are API error codes worth trying again later: throttling,
// SNS's and KMS's transient failures, and request-signing problems the SDK
// corrects on the next call (clock skew, expired temporary credentials).
var retryableCodes = map[string]bool{
	// throttling
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"Throttled":                 true, // SNS's ThrottledException
	"KMSThrottling":             true,
	"RequestLimitExceeded":      true,
	"TooManyRequestsException":  true,
	"RequestThrottled":          true,
	"RequestThrottledException": true,
	"SlowDown":                  true,
	// transient failures of the service
	"InternalError":           true,
	"InternalFailure":         true,
	"ServiceUnavailable":      true,
	"RequestTimeout":          true,
	"RequestTimeoutException": true,
	// the SDK measures the skew / refreshes the credentials for the next call
	"RequestTimeTooSkewed":  true,
	"RequestExpired":        true,
	"ExpiredToken":          true,
	"ExpiredTokenException": true,
}

// permanentCodes are API error codes that sending the same message again
// won't fix. Any other 4xx answer is permanent too; they are listed to
// make the classification independent of the HTTP status.
var permanentCodes = map[string]bool{
	"NotFound":                    true, // no such topic or endpoint
	"ResourceNotFound":            true,
	"InvalidParameter":            true,
	"InvalidParameterValue":       true,
	"ParameterValueInvalid":       true, // SNS's InvalidParameterValueException
	"ValidationError":             true,
	"ValidationException":         true,
	"AuthorizationError":          true, // no sns:Publish permission
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"InvalidClientTokenId":        true, // unknown access key
	"UnrecognizedClientException": true,
	"SignatureDoesNotMatch":       true, // wrong secret key
	"InvalidSecurity":             true,
	"OptInRequired":               true,
	"EndpointDisabled":            true,
	"PlatformApplicationDisabled": true,
	"OptedOut":                    true,
	"KMSDisabled":                 true,
	"KMSAccessDenied":             true,
	"KMSInvalidState":             true,
	"KMSNotFound":                 true,
	"KMSOptInRequired":            true,
}

// classify marks err (from Publish) Permanent or Retryable:
//   - an API error code in retryableCodes or permanentCodes decides;
//   - else the HTTP status: 429 and 5xx are retryable, other 4xx and 3xx
//     (a redirect, not followed) permanent;
//   - network errors and timeouts (no answer at all) are retryable;
//   - anything else is retryable: a failure we can't classify (the
//     credential chain failing, say) must not lose a reminder.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case retryableCodes[code]:
			return channels.Retryable(err)
		case permanentCodes[code]:
			return channels.Permanent(err)
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch status := respErr.HTTPStatusCode(); {
		case status == 429 || status >= 500:
			return channels.Retryable(err)
		case status >= 300:
			// A 3xx: a redirect the client did not follow (see
			// TestRedirectToAnotherOriginIsNotFollowed), or a 4xx.
			return channels.Permanent(err)
		}
	}
	// No answer from SNS: a network error, a timeout, the context ended
	// (the engine stopping), the credential chain failing.
	return channels.Retryable(err)
}
