package smtp_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// server is a minimal SMTP server on 127.0.0.1 for the tests: it speaks
// EHLO, STARTTLS (when it has a certificate), AUTH PLAIN, MAIL, RCPT, DATA,
// RSET, NOOP and QUIT over real TCP, records what it is sent, and answers
// a command with a failure when told to.
type server struct {
	ln  net.Listener
	tls *tls.Config
	options

	mu sync.Mutex
	// fail maps a verb (MAIL, RCPT, DATA for the end of the data) to the
	// reply that refuses it.
	fail map[string]string
	// got are the messages accepted; commands every command line received.
	got      []received
	commands []string
	conns    int
	wg       sync.WaitGroup
}

// received is one message as the server accepted it.
type received struct {
	From string
	To   []string
	// Data is the message as sent, dot-stuffing undone, CRLF kept.
	Data string
	// TLS and Auth say whether the session was upgraded and authenticated.
	TLS, Auth bool
}

// options are how a server behaves.
type options struct {
	// user and pass are the credentials AUTH PLAIN accepts.
	user, pass string
	// silent makes the server accept connections and never greet.
	silent bool
}

// newServer listens on a free port of 127.0.0.1 and serves until close.
// With cert set it offers STARTTLS with that certificate.
func newServer(cert *tls.Certificate, o options) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{ln: ln, options: o, fail: map[string]string{}}
	if cert != nil {
		s.tls = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	s.wg.Go(s.serve)
	return s, nil
}

// port is the port the server listens on.
func (s *server) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// close stops listening and waits for the sessions to end.
func (s *server) close() {
	s.ln.Close()
	s.wg.Wait()
}

// failWith makes the server refuse verb with reply.
func (s *server) failWith(verb, reply string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[verb] = reply
}

// messages returns what the server accepted.
func (s *server) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// sawCommand reports whether a command line began with verb.
func (s *server) sawCommand(verb string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.commands {
		if strings.HasPrefix(strings.ToUpper(c), verb) {
			return true
		}
	}
	return false
}

// connections counts the connections accepted.
func (s *server) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		s.wg.Go(func() { s.session(c) })
	}
}

// session serves one connection.
func (s *server) session(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if s.silent {
		// Wait for the client to give up.
		conn.Read(make([]byte, 1))
		return
	}
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	var (
		msg        received
		secure     bool
		authorised bool
	)
	reply("220 127.0.0.1 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		s.commands = append(s.commands, line)
		failure := s.fail[verb]
		s.mu.Unlock()
		switch verb {
		case "EHLO":
			lines := []string{"250-127.0.0.1 hello " + arg}
			if s.tls != nil && !secure {
				lines = append(lines, "250-STARTTLS")
			}
			lines = append(lines, "250-AUTH PLAIN", "250 HELP")
			reply(lines...)
		case "HELO", "NOOP":
			reply("250 ok")
		case "STARTTLS":
			if s.tls == nil || secure {
				reply("502 not now")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if tc.Handshake() != nil {
				return
			}
			conn, secure, msg, authorised = tc, true, received{}, false
			r, w = bufio.NewReader(conn), bufio.NewWriter(conn)
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			raw, err := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(raw), "\x00")
			switch {
			case strings.ToUpper(mech) != "PLAIN" || err != nil || len(parts) != 3:
				reply("501 5.5.2 malformed")
			case parts[1] != s.user || parts[2] != s.pass:
				reply("535 5.7.8 authentication failed")
			default:
				authorised = true
				reply("235 2.7.0 accepted")
			}
		case "MAIL", "RCPT":
			if failure != "" {
				reply(failure)
				continue
			}
			addr := arg[strings.Index(arg, "<")+1 : strings.Index(arg, ">")]
			if verb == "MAIL" {
				msg = received{From: addr}
			} else {
				msg.To = append(msg.To, addr)
			}
			reply("250 2.1.0 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			failure = s.fail["DATA"]
			s.mu.Unlock()
			if failure != "" {
				reply(failure)
				continue
			}
			msg.Data, msg.TLS, msg.Auth = data.String(), secure, authorised
			s.mu.Lock()
			s.got = append(s.got, msg)
			s.mu.Unlock()
			msg = received{}
			reply("250 2.0.0 queued")
		case "RSET":
			msg = received{}
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.1 unknown command")
		}
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts
// it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "spoc test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
