// Package testcert makes a throwaway certificate authority for tests: a CA,
// a server certificate for 127.0.0.1 and localhost and a client
// certificate, ECDSA P-256, written as PEM files. It is for tests only and
// must never be used to secure anything.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a test certificate authority and what it signed.
type CA struct {
	// Pool trusts the CA, for a client's RootCAs or a server's ClientCAs.
	Pool *x509.CertPool
	// CAFile, CertFile and KeyFile are PEM files: the CA's certificate and
	// the server's certificate and key.
	CAFile, CertFile, KeyFile string
	// Client is a client certificate signed by the CA (SAN client.example).
	Client tls.Certificate

	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

// New makes a CA and a server certificate in dir.
func New(t testing.TB, dir string) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Steward test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testcert: CA: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testcert: CA: %v", err)
	}
	ca := &CA{Pool: x509.NewCertPool(), cert: cert, key: key, dir: dir}
	ca.Pool.AddCert(cert)
	ca.CAFile = filepath.Join(dir, "ca.crt")
	writePEM(t, ca.CAFile, "CERTIFICATE", der)
	ca.CertFile, ca.KeyFile = ca.Server(t, 2)
	certPEM, keyPEM := ca.sign(t, 3, "client", nil, []string{"client.example"}, x509.ExtKeyUsageClientAuth)
	if ca.Client, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("testcert: client: %v", err)
	}
	return ca
}

// Server writes a server certificate with the serial number and its key
// over the server's files, so a test can rotate them; it returns the
// paths.
func (ca *CA) Server(t testing.TB, serial int64) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM := ca.sign(t, serial, "127.0.0.1", []net.IP{net.ParseIP("127.0.0.1")}, []string{"localhost"}, x509.ExtKeyUsageServerAuth)
	certFile, keyFile = filepath.Join(ca.dir, "server.crt"), filepath.Join(ca.dir, "server.key")
	write(t, certFile, certPEM)
	write(t, keyFile, keyPEM)
	return certFile, keyFile
}

func (ca *CA) sign(t testing.TB, serial int64, cn string, ips []net.IP, dns []string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  ips,
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("testcert: %s: %v", cn, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("testcert: %s: %v", cn, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testcert: key: %v", err)
	}
	return key
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	write(t, path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}))
}

func write(t testing.TB, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("testcert: %v", err)
	}
}
