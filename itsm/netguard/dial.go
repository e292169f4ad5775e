package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// LookupFunc resolves a host name to its addresses; network is "ip",
// "ip4" or "ip6", as net.Resolver.LookupNetIP takes it.
type LookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// DefaultConnectTimeout bounds one connection attempt when Dialer sets none.
const DefaultConnectTimeout = 10 * time.Second

// Dialer connects only where its Policy allows. The zero Dialer allows
// public addresses only and resolves with the system's resolver.
type Dialer struct {
	Policy Policy
	// Lookup resolves host names; nil means net.DefaultResolver. Tests give
	// one that answers what they need, such as 127.0.0.1 for a name.
	Lookup LookupFunc
	// Timeout bounds each connection attempt; 0 means
	// DefaultConnectTimeout.
	Timeout time.Duration
}

// DialContext connects to address ("host:port") over network ("tcp",
// "tcp4" or "tcp6"), as net.Dialer.DialContext does, if the policy allows
// it. A host name is resolved once (with Lookup) and its addresses are
// dialled in turn, so that the name is not resolved again behind the
// check. A name on the allow-list may resolve to anything. Any other name
// is refused when any one of its addresses is refused (an answer that
// mixes public and private addresses is an attempt, not an accident), and
// each socket's address is checked again just before it connects. A
// refusal is a *Refusal (errors.Is ErrRefused), returned before anything is
// sent.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	timeout := d.Timeout
	if timeout == 0 {
		timeout = DefaultConnectTimeout
	}
	addrs, err := d.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	nd := &net.Dialer{Timeout: timeout}
	if !d.Policy.AllowsHost(host) {
		for _, a := range addrs {
			if err := d.Policy.check(host, a); err != nil {
				return nil, err
			}
		}
		nd.ControlContext = d.control
	}
	var errs []error
	for _, a := range addrs {
		// Unmapped: a resolver may give an IPv4 address as ::ffff:a.b.c.d.
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// resolve returns host's addresses: host itself when it is an address; a
// numeric spelling of an IPv4 address is refused rather than handed to a
// resolver that may read it as one (inet_aton does).
func (d *Dialer) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if numeric(host) {
		return nil, &Refusal{Host: host, Reason: "a numeric host that is not an address in dotted decimal or IPv6 notation"}
	}
	ipnet := "ip"
	switch network {
	case "tcp4", "udp4":
		ipnet = "ip4"
	case "tcp6", "udp6":
		ipnet = "ip6"
	}
	lookup := d.Lookup
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	addrs, err := lookup(ctx, ipnet, host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// control checks the address a socket is about to connect to: the last
// word, whatever resolved it.
func (d *Dialer) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Refusal{Host: address, Reason: "not an address and port"}
	}
	return d.Policy.Check(ap.Addr())
}

// Transport returns an http.Transport, with http.DefaultTransport's
// settings otherwise, that connects through d and uses no proxy: a proxy
// from the environment would connect on its behalf, past the check.
func (d *Dialer) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	return t
}

// Client returns an http.Client over Transport with the timeout (for a
// whole request, answer included; 0 means none) that follows no redirect: a
// redirect answer is returned as it is, so that a receiver cannot send the
// request on to an address of its choosing.
func (d *Dialer) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: d.Transport(), Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
