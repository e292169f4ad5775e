package itsm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// MaxKey is the longest idempotency key: the client's own name for one
// attempt of a command that makes a ticket (a UUID, a monitoring alert's
// ID), so that a retry gets what the first attempt made rather than a
// second ticket.
const MaxKey = 128

// CheckKey checks an idempotency key: at most MaxKey bytes of printable
// ASCII. what names the command in the error, such as "registration".
func CheckKey(what, k string) error {
	if len(k) > MaxKey {
		return Errorf(CodeInvalid, "%s: key has %d bytes; at most %d are allowed", what, len(k), MaxKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return Errorf(CodeInvalid, "%s: key %q holds a byte that is not printable ASCII", what, k)
		}
	}
	return nil
}

// Digest identifies what a keyed command said: the SHA-256 of v's JSON, as
// "sha256:" and hex. v must always encode (a struct of strings, IDs,
// numbers and raw JSON does); a retry that says the same has the same
// digest.
func Digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("itsm: digest of a value that does not encode: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// keyDigest is the body of a record PutKeyDigest writes.
type keyDigest struct {
	Digest string `json:"digest"`
}

// PutKeyDigest keeps the digest of the keyed command that made the ticket
// id, in a record of kind under the same ID, written in the command's
// transaction and never changed: the ticket's own record changes with every
// later command and no longer shows what was asked once.
func PutKeyDigest(tx WriteTx, kind string, id ID, digest string) error {
	body, err := json.Marshal(keyDigest{Digest: digest})
	if err != nil {
		return Wrap(CodeInternal, err, "encode the key digest of %s", id)
	}
	_, err = tx.Put(Record{Kind: kind, ID: id, Body: body})
	return err
}

// KeyDigest reads the digest PutKeyDigest kept for id; found is false when
// none was kept.
func KeyDigest(tx ReadTx, kind string, id ID) (digest string, found bool, err error) {
	rec, err := tx.Get(kind, id)
	switch {
	case IsCode(err, CodeNotFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	var kd keyDigest
	if err := json.Unmarshal(rec.Body, &kd); err != nil {
		return "", false, Wrap(CodeInternal, err, "decode the key digest of %s", id)
	}
	return kd.Digest, true, nil
}
