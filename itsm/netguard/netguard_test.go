package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spoc-itsm/spoc/itsm/netguard"
)

// These tests connect to nothing but a listener on 127.0.0.1: every other
// address is only judged (Reason, Check) or refused before a socket
// connects.

func TestReason(t *testing.T) {
	forbidden := map[string]string{
		"127.0.0.1":                      "loopback",
		"127.255.0.9":                    "loopback",
		"10.1.2.3":                       "private",
		"172.16.0.1":                     "private",
		"192.168.1.1":                    "private",
		"100.64.0.1":                     "shared",
		"169.254.169.254":                "link-local",
		"0.0.0.0":                        "this network",
		"0.1.2.3":                        "this network",
		"224.0.0.1":                      "multicast",
		"255.255.255.255":                "broadcast",
		"192.0.2.1":                      "documentation",
		"198.18.0.1":                     "benchmarking",
		"::1":                            "loopback",
		"::":                             "unspecified",
		"fc00::1":                        "unique-local",
		"fd12:3456::1":                   "unique-local",
		"fe80::1":                        "link-local",
		"fe80::1%eth0":                   "link-local",
		"ff02::1":                        "multicast",
		"::ffff:127.0.0.1":               "loopback",
		"::ffff:169.254.169.254":         "link-local",
		"::ffff:10.0.0.1":                "private",
		"::127.0.0.1":                    "non-global",
		"64:ff9b::7f00:1":                "NAT64 of a loopback",
		"64:ff9b::a9fe:a9fe":             "NAT64 of a link-local",
		"64:ff9b:1::1":                   "non-global",
		"2002:7f00:1::1":                 "6to4 of a loopback",
		"2002:c0a8:101::1":               "6to4 of a private",
		"2001::1":                        "Teredo",
		"2001:db8::1":                    "documentation",
		"100::1":                         "non-global",
		"fec0::1":                        "non-global",
		"::ffff:0:7f00:1":                "non-global",
		"2001:0db8:0000::ff00:42":        "documentation",
		"0000:0000:0000::ffff:7f00:0001": "loopback",
	}
	for s, want := range forbidden {
		if got := netguard.Reason(netip.MustParseAddr(s)); !strings.Contains(got, want) {
			t.Errorf("Reason(%s) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"1.1.1.1", "8.8.4.4", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:400f:80c::200e",
		"64:ff9b::101:101", "2002:101:101::1", "::ffff:1.1.1.1"} {
		if got := netguard.Reason(netip.MustParseAddr(s)); got != "" {
			t.Errorf("Reason(%s) = %q, want public", s, got)
		}
	}
}

func TestParse(t *testing.T) {
	p, err := netguard.Parse(" 10.20.0.0/16, fd00:1::/48,192.168.7.9 , ::ffff:172.16.0.0/108, Hooks.Internal., ::1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "10.20.0.0/16,fd00:1::/48,192.168.7.9,172.16.0.0/12,::1,hooks.internal"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	for addr, ok := range map[string]bool{"10.20.9.9": true, "::ffff:10.20.9.9": true, "10.21.0.1": false,
		"fd00:1::5": true, "fd00:2::5": false, "192.168.7.9": true, "192.168.7.10": false, "172.31.255.1": true,
		"::1": true, "127.0.0.1": false, "1.1.1.1": true} {
		err := p.Check(netip.MustParseAddr(addr))
		if (err == nil) != ok || (err != nil && !errors.Is(err, netguard.ErrRefused)) {
			t.Errorf("Check(%s) = %v, want allowed %v", addr, err, ok)
		}
	}
	if !p.AllowsHost("HOOKS.internal") || p.AllowsHost("other.internal") {
		t.Error("AllowsHost does not match the name case-insensitively, or matches another")
	}
	if p, err := netguard.Parse("  "); err != nil || !p.IsZero() {
		t.Errorf("the empty list: %v %v", p, err)
	}
	for list, want := range map[string]string{
		"10.0.0.0/8,,::1":       "entry 2 is empty",
		"10.0.0.0/33":           "CIDR",
		"hooks internal":        "not a network",
		"2130706433":            "ends in a number",
		"0x7f.1":                "ends in a number",
		"fe80::1%eth0":          "zone",
		"-bad.example":          "label",
		strings.Repeat("a", 64): "label",
	} {
		if _, err := netguard.Parse(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", list, err, want)
		}
	}
	if got := netguard.MustParse(netguard.Loopback).With(netguard.MustParse("hooks.internal")).String(); got != "127.0.0.0/8,::1,hooks.internal" {
		t.Errorf("With: %q", got)
	}
}

func TestCheckHost(t *testing.T) {
	var public netguard.Policy
	for _, host := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254", "10.0.0.1",
		"2130706433", "0177.0.0.1", "0x7f000001", "0x7f.0.0.1", "127.1", "017700000001", "localhost", "LOCALHOST.", "api.localhost", ""} {
		if err := public.CheckHost(host); !errors.Is(err, netguard.ErrRefused) {
			t.Errorf("CheckHost(%q) = %v, want a refusal", host, err)
		}
	}
	for _, host := range []string{"hooks.example", "1.1.1.1", "2606:4700:4700::1111", "a1.example", "x.0xg"} {
		if err := public.CheckHost(host); err != nil {
			t.Errorf("CheckHost(%q) = %v, want nil", host, err)
		}
	}
	loop := netguard.MustParse(netguard.Loopback)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := loop.CheckHost(host); err != nil {
			t.Errorf("with loopback allowed, CheckHost(%q) = %v", host, err)
		}
	}
	if err := netguard.MustParse("127.0.0.0/8").CheckHost("localhost"); err == nil {
		t.Error("localhost passes with only 127.0.0.0/8 allowed; it resolves to ::1 too")
	}
}

// listener accepts on 127.0.0.1 and counts the connections.
func listener(t *testing.T) (port string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, accepted
}

// resolver answers from a table, and fails the test for a name not in it.
func resolver(t *testing.T, answers map[string][]string) netguard.LookupFunc {
	return func(_ context.Context, _, host string) ([]netip.Addr, error) {
		as, ok := answers[host]
		if !ok {
			t.Errorf("unexpected lookup of %q", host)
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []netip.Addr
		for _, a := range as {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

func TestDialRefusesForbiddenDestinations(t *testing.T) {
	port, accepted := listener(t)
	d := &netguard.Dialer{Lookup: resolver(t, map[string][]string{
		"loop.example":     {"127.0.0.1"},
		"mapped.example":   {"::ffff:127.0.0.1"},
		"metadata.example": {"169.254.169.254"},
		"v6.example":       {"::1"},
		// One public answer does not make the private one right.
		"mixed.example": {"93.184.215.14", "127.0.0.1"},
	})}
	for _, host := range []string{"loop.example", "mapped.example", "metadata.example", "v6.example", "mixed.example",
		"127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254", "2130706433", "0177.0.0.1", "0x7f.0.0.1"} {
		conn, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		if conn != nil {
			conn.Close()
		}
		var r *netguard.Refusal
		if !errors.As(err, &r) || !errors.Is(err, netguard.ErrRefused) {
			t.Errorf("dial %s: %v, want a refusal", host, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections reached the loopback listener", n)
	}
}

// A name whose answer changes between two connections, from an allowed
// address to a forbidden one (DNS rebinding), is refused the second time:
// the check is made on every connection, not once.
func TestDialChecksEveryConnection(t *testing.T) {
	port, accepted := listener(t)
	calls := 0
	d := &netguard.Dialer{Policy: netguard.MustParse("127.0.0.1"),
		Lookup: func(context.Context, string, string) ([]netip.Addr, error) {
			calls++
			if calls == 1 {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
		}}
	conn, err := d.DialContext(context.Background(), "tcp", "rebind.example:"+port)
	if err != nil {
		t.Fatalf("the first connection, to an allowed address: %v", err)
	}
	conn.Close()
	_, err = d.DialContext(context.Background(), "tcp", "rebind.example:"+port)
	var r *netguard.Refusal
	if !errors.As(err, &r) || r.Addr != netip.MustParseAddr("127.0.0.2") || !strings.Contains(err.Error(), "rebind.example resolves to 127.0.0.2, a loopback address") {
		t.Errorf("the second connection: %v, want a refusal of 127.0.0.2", err)
	}
	if calls != 2 {
		t.Errorf("%d lookups, want one per connection", calls)
	}
	if n := accepted.Load(); n > 1 {
		t.Errorf("%d connections reached the listener, want 1", n)
	}
}

// A name on the allow-list may resolve to anything; a network on it allows
// its addresses under any name.
func TestDialAllowed(t *testing.T) {
	port, _ := listener(t)
	for list, host := range map[string]string{"hooks.internal": "hooks.internal", "127.0.0.0/8": "other.internal", netguard.Loopback: "127.0.0.1"} {
		d := &netguard.Dialer{Policy: netguard.MustParse(list), Lookup: resolver(t, map[string][]string{
			"hooks.internal": {"127.0.0.1"}, "other.internal": {"127.0.0.1"}})}
		conn, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		if err != nil {
			t.Errorf("allowing %s, dial %s: %v", list, host, err)
			continue
		}
		conn.Close()
	}
}

// The client of a Dialer takes no proxy from the environment, which would
// connect past the check, and follows no redirect.
func TestClientUsesNoProxyAndNoRedirect(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	c := (&netguard.Dialer{}).Client(0)
	tr := c.Transport.(*http.Transport)
	if tr.Proxy != nil {
		t.Error("the transport has a Proxy function")
	}
	if err := c.CheckRedirect(nil, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("CheckRedirect = %v", err)
	}
	// Through a proxy the request would have gone to 127.0.0.1:1; without
	// one it is refused for its own address.
	_, err := c.Get("http://127.0.0.1:9/")
	if !errors.Is(err, netguard.ErrRefused) {
		t.Errorf("GET of a loopback URL: %v, want a refusal", err)
	}
}
