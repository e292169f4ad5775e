// Package netguard keeps outgoing connections that someone other than the
// operator aims, such as the webhook receivers a supplier's agent
// subscribes, away from the server's own networks: loopback (the server's
// own /metrics, its database), private and shared address space, link-local
// addresses (169.254.169.254, the cloud's metadata service), unique-local
// IPv6, multicast and the other special-purpose ranges of the IANA
// registries. By default only public addresses may be reached; an operator
// allows more with an allow-list of networks and host names (Parse).
//
// The check belongs at the connection, not at the URL: a host name that
// resolves to a public address when it is subscribed may resolve to
// 127.0.0.1 when it is delivered to (DNS rebinding), and an address has
// many spellings (2130706433, 0177.0.0.1, ::ffff:127.0.0.1). Dialer
// therefore resolves the name itself, refuses it when any of its addresses
// is forbidden, connects to the checked addresses only (so the name is not
// resolved a second time behind its back), and checks the address of every
// socket once more just before it connects. Policy.CheckHost is the early
// check of a URL's host for a clear answer when it is given: it refuses
// literal addresses and numeric spellings, and leaves names to the Dialer.
//
// An http.Client built on Dialer.Transport uses no proxy: a proxy from the
// environment (HTTPS_PROXY) would connect on the client's behalf, past the
// check. Redirects are the client's business; the senders in spoc do not
// follow them.
package netguard

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ErrRefused matches, with errors.Is, every error of a refused destination.
var ErrRefused = errors.New("netguard: destination refused")

// Refusal is the error of a destination the policy does not allow.
type Refusal struct {
	// Host is the name or address asked for.
	Host string
	// Addr is the address refused; invalid when the host was refused
	// for its spelling.
	Addr netip.Addr
	// Reason says what kind of address it is ("loopback", "private", ...)
	// or what is wrong with the host's spelling.
	Reason string
}

func (r *Refusal) Error() string {
	switch {
	case !r.Addr.IsValid():
		return fmt.Sprintf("netguard: host %q: %s", r.Host, r.Reason)
	case r.Host != "" && r.Host != r.Addr.String():
		return fmt.Sprintf("netguard: %s resolves to %s, a %s address, which is not allowed", r.Host, r.Addr, r.Reason)
	}
	return fmt.Sprintf("netguard: %s is a %s address, which is not allowed", r.Addr, r.Reason)
}

// Is makes errors.Is(err, ErrRefused) hold.
func (r *Refusal) Is(target error) bool { return target == ErrRefused }

// special are the IPv4 ranges that are not public, from the IANA IPv4
// Special-Purpose Address Registry and the multicast and reserved blocks.
var special4 = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast"},
}

// Within 2000::/3, the only IPv6 space that is global unicast, these are
// not public; nat64 and sixToFour embed an IPv4 address, which decides.
var (
	global6   = netip.MustParsePrefix("2000::/3")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	special6  = []struct {
		prefix netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("2001::/23"), "IETF protocol assignment (Teredo and others)"},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
		{netip.MustParsePrefix("3fff::/20"), "documentation"},
	}
)

// Reason returns why addr is not a public address ("loopback", "private",
// ...), or "" when it is one. An IPv4-mapped IPv6 address is judged as the
// IPv4 address it maps, and so are NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
// addresses by the IPv4 address they embed. Every IPv6 address outside
// 2000::/3 other than those is refused: loopback, unspecified, unique-local,
// link-local, site-local, multicast, discard and the rest of the unassigned
// space.
func Reason(addr netip.Addr) string {
	addr = addr.WithZone("").Unmap()
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.Is4():
		for _, s := range special4 {
			if s.prefix.Contains(addr) {
				return s.reason
			}
		}
		return ""
	case nat64.Contains(addr):
		b := addr.As16()
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
	case sixToFour.Contains(addr):
		b := addr.As16()
		return embedded(netip.AddrFrom4([4]byte(b[2:6])), "6to4")
	case addr.IsLoopback():
		return "loopback"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsMulticast():
		return "multicast"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsPrivate():
		return "unique-local"
	case !global6.Contains(addr):
		return "non-global IPv6"
	}
	for _, s := range special6 {
		if s.prefix.Contains(addr) {
			return s.reason
		}
	}
	return ""
}

// embedded is the Reason of an IPv6 address that embeds v4.
func embedded(v4 netip.Addr, how string) string {
	if r := Reason(v4); r != "" {
		return how + " of a " + r
	}
	return ""
}

// Policy says which destinations may be reached: every public address, and
// the networks and host names of the operator's allow-list. The zero Policy
// allows public addresses only.
type Policy struct {
	networks []netip.Prefix
	// hosts are lower case, without a trailing dot.
	hosts []string
}

// Loopback is the allow-list of the loopback networks, for a server whose
// webhook receivers run on the same machine: the demo's, and tests'.
const Loopback = "127.0.0.0/8,::1/128"

// Parse reads an allow-list: entries separated by commas, each a network in
// CIDR notation (10.20.0.0/16, fd00:1::/48), a single address (10.20.0.5,
// ::1) or a host name (hooks.internal), which is then allowed whatever it
// resolves to. Spaces around entries are ignored and the empty string is
// the empty list. An IPv4-mapped IPv6 entry is taken as the IPv4 one.
func Parse(list string) (Policy, error) {
	var p Policy
	if strings.TrimSpace(list) == "" {
		return p, nil
	}
	for i, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			return Policy{}, fmt.Errorf("netguard: allow-list entry %d is empty", i+1)
		case strings.Contains(e, "/"):
			pr, err := netip.ParsePrefix(e)
			if err != nil {
				return Policy{}, fmt.Errorf("netguard: allow-list entry %q is not a network in CIDR notation, such as 10.20.0.0/16", e)
			}
			p.networks = append(p.networks, unmapPrefix(pr))
		default:
			if a, err := netip.ParseAddr(e); err == nil {
				if a.Zone() != "" {
					return Policy{}, fmt.Errorf("netguard: allow-list entry %q has a zone; name the address without it", e)
				}
				a = a.Unmap()
				p.networks = append(p.networks, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
			name, err := hostName(e)
			if err != nil {
				return Policy{}, fmt.Errorf("netguard: allow-list entry %q is not a network, an address or a host name: %s", e, err)
			}
			p.hosts = append(p.hosts, name)
		}
	}
	return p, nil
}

// MustParse is Parse for lists known to be right, such as Loopback; it
// panics on an error.
func MustParse(list string) Policy {
	p, err := Parse(list)
	if err != nil {
		panic(err)
	}
	return p
}

// unmapPrefix turns ::ffff:a.b.c.d/n (n >= 96) into a.b.c.d/(n-96), so that
// it matches the unmapped addresses Check compares, and masks the prefix.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// hostName returns name in lower case without a trailing dot, or why it is
// not a host name: letters, digits and hyphens in dot-separated labels, not
// ending in a numeric label (which URL parsers take for an IPv4 address).
func hostName(name string) (string, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" || len(name) > 253 {
		return "", errors.New("a host name has 1 to 253 characters")
	}
	for l := range strings.SplitSeq(name, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.ContainsFunc(l, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' }) {
			return "", fmt.Errorf("label %q is not 1 to 63 letters, digits, hyphens and underscores", l)
		}
	}
	if numeric(name) {
		return "", errors.New("it ends in a number, as only an IPv4 address may; write the address in dotted decimal")
	}
	return name, nil
}

// numeric reports whether host's last label is a number (decimal, or hex
// after 0x), which the URL Standard's host parser takes as the sign of an
// IPv4 address in one of its many spellings (2130706433, 0177.0.0.1,
// 0x7f.1) that netip rightly does not parse, and that some resolvers
// (inet_aton) turn into an address.
func numeric(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return !strings.ContainsFunc(hex, func(r rune) bool { return (r < '0' || r > '9') && (r < 'a' || r > 'f') })
	}
	return last != "" && !strings.ContainsFunc(last, func(r rune) bool { return r < '0' || r > '9' })
}

// With returns the policy that allows what p and q allow.
func (p Policy) With(q Policy) Policy {
	return Policy{networks: slices.Concat(p.networks, q.networks), hosts: slices.Concat(p.hosts, q.hosts)}
}

// IsZero reports whether the policy allows public addresses only.
func (p Policy) IsZero() bool { return len(p.networks) == 0 && len(p.hosts) == 0 }

// String returns the allow-list in the form Parse reads; "" for none.
func (p Policy) String() string {
	out := make([]string, 0, len(p.networks)+len(p.hosts))
	for _, n := range p.networks {
		if n.IsSingleIP() {
			out = append(out, n.Addr().String())
		} else {
			out = append(out, n.String())
		}
	}
	return strings.Join(append(out, p.hosts...), ",")
}

// AllowsHost reports whether host is a name on the allow-list, which may
// then be reached whatever it resolves to.
func (p Policy) AllowsHost(host string) bool {
	return slices.Contains(p.hosts, strings.ToLower(strings.TrimSuffix(host, ".")))
}

// Check returns nil when addr may be reached: it is public, or in a network
// of the allow-list. Otherwise it returns a *Refusal naming the kind of
// address.
func (p Policy) Check(addr netip.Addr) error {
	return p.check("", addr)
}

func (p Policy) check(host string, addr netip.Addr) error {
	a := addr.WithZone("").Unmap()
	for _, n := range p.networks {
		if n.Contains(a) {
			return nil
		}
	}
	if r := Reason(a); r != "" {
		return &Refusal{Host: host, Addr: addr, Reason: r}
	}
	return nil
}

// CheckHost is the early check of a URL's host (url.URL.Hostname), when the
// URL is given: a name on the allow-list passes; a literal address must pass
// Check; a numeric spelling that is not a dotted-decimal IPv4 or an IPv6
// address is refused, and so are "localhost" and names under .localhost
// (RFC 6761) unless loopback is allowed. Other names pass: they are checked
// on every connection, where it matters.
func (p Policy) CheckHost(host string) error {
	if p.AllowsHost(host) {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return p.check(host, a)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case name == "":
		return &Refusal{Host: host, Reason: "no host"}
	case numeric(name):
		return &Refusal{Host: host, Reason: "a numeric host that is not an address in dotted decimal or IPv6 notation"}
	case name == "localhost" || strings.HasSuffix(name, ".localhost"):
		// It resolves to both, and Dialer needs every address allowed.
		if err := p.check(host, netip.AddrFrom4([4]byte{127, 0, 0, 1})); err != nil {
			return err
		}
		return p.check(host, netip.IPv6Loopback())
	}
	return nil
}
