package netguard

import (
	"context"
	"errors"
	"testing"
)

// The socket's last check refuses a forbidden address whatever produced
// it, without connecting: it runs before connect(2).
func TestControlRefusesBeforeConnecting(t *testing.T) {
	d := &Dialer{}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "[::ffff:127.0.0.1]:5432", "169.254.169.254:80", "10.0.0.1:443", "[fe80::1%eth0]:80", "nonsense"} {
		if err := d.control(context.Background(), "tcp", addr, nil); !errors.Is(err, ErrRefused) {
			t.Errorf("control(%s) = %v, want a refusal", addr, err)
		}
	}
	if err := d.control(context.Background(), "tcp4", "93.184.215.14:443", nil); err != nil {
		t.Errorf("control of a public address: %v", err)
	}
	allowed := &Dialer{Policy: MustParse("10.0.0.0/8")}
	if err := allowed.control(context.Background(), "tcp4", "10.9.8.7:443", nil); err != nil {
		t.Errorf("control of an allowed address: %v", err)
	}
}
