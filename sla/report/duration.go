package report

import (
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// String is what time.Duration.String gives.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what time.ParseDuration accepts.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "duration %q: %v", b, err)
	}
	*d = Duration(v)
	return nil
}
