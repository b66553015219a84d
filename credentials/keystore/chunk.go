package keystore

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/99designs/keyring"
)

// wincredMaxBlob is the Windows Credential Manager's limit on a
// credential's blob (CRED_MAX_CREDENTIAL_BLOB_SIZE, 5*512 bytes); a larger
// write fails with "The stub received bad data".
const wincredMaxBlob = 2560

// chunkedKeyring stores values larger than max bytes as several items.
// It is used for wincred, where a role session or an SSO token (with its
// refresh token and client secret) in JSON can pass the limit.
//
// The item under the key (the head) starts with a format byte:
//
//	'i' data                      the value itself
//	'c' "<gen> <n> <sha256-hex>"  the value is in n chunk items
//
// Chunk i is stored under <key>#<gen>.<i>, where gen is random per write:
// chunks are written first, then the head, then the previous generation's
// chunks are removed. A reader in another process that meets a head whose
// chunks are gone or do not add up to the hash reads again. Keys() hides
// the chunk items.
type chunkedKeyring struct {
	keyring.Keyring
	max int
}

const (
	formatInline  = 'i'
	formatChunked = 'c'
	genLen        = 16 // hex digits
	readAttempts  = 3
)

type manifest struct {
	gen string
	n   int
	sum string
}

func chunkKey(key, gen string, i int) string { return key + "#" + gen + "." + strconv.Itoa(i) }

// isChunkKey reports whether name is <key>#<gen>.<i>.
func isChunkKey(name string) bool {
	i := strings.LastIndexByte(name, '#')
	if i < 0 {
		return false
	}
	gen, idx, ok := strings.Cut(name[i+1:], ".")
	if !ok || len(gen) != genLen || idx == "" {
		return false
	}
	if _, err := hex.DecodeString(gen); err != nil {
		return false
	}
	_, err := strconv.Atoi(idx)
	return err == nil
}

func parseManifest(b []byte) (manifest, bool) {
	f := strings.Fields(string(b))
	if len(f) != 3 || len(f[0]) != genLen {
		return manifest{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 {
		return manifest{}, false
	}
	return manifest{gen: f[0], n: n, sum: f[2]}, true
}

// Get reassembles the value stored under key.
func (c *chunkedKeyring) Get(key string) (keyring.Item, error) {
	for range readAttempts {
		head, err := c.Keyring.Get(key)
		if err != nil {
			return keyring.Item{}, err
		}
		data, retry, err := c.assemble(key, head.Data)
		if err == nil {
			head.Data = data
			return head, nil
		}
		if !retry {
			return keyring.Item{}, err
		}
	}
	return keyring.Item{}, fmt.Errorf("item %s kept changing while it was read", key)
}

// assemble decodes a head; retry is set when its chunks changed under it.
func (c *chunkedKeyring) assemble(key string, head []byte) (data []byte, retry bool, err error) {
	if len(head) == 0 {
		return nil, false, fmt.Errorf("item %s is empty", key)
	}
	switch head[0] {
	case formatInline:
		return head[1:], false, nil
	case formatChunked:
	default:
		return nil, false, fmt.Errorf("item %s has an unknown format", key)
	}
	m, ok := parseManifest(head[1:])
	if !ok {
		return nil, false, fmt.Errorf("item %s has a damaged chunk list", key)
	}
	var buf bytes.Buffer
	for i := range m.n {
		it, err := c.Keyring.Get(chunkKey(key, m.gen, i))
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return nil, true, fmt.Errorf("item %s: chunk %d is missing", key, i)
		}
		if err != nil {
			return nil, false, err
		}
		buf.Write(it.Data)
	}
	sum := sha256.Sum256(buf.Bytes())
	if hex.EncodeToString(sum[:]) != m.sum {
		return nil, true, fmt.Errorf("item %s: chunks do not match", key)
	}
	return buf.Bytes(), false, nil
}

// current returns the chunk list of the value stored under key, if it is
// chunked.
func (c *chunkedKeyring) current(key string) (manifest, bool) {
	it, err := c.Keyring.Get(key)
	if err != nil || len(it.Data) == 0 || it.Data[0] != formatChunked {
		return manifest{}, false
	}
	return parseManifest(it.Data[1:])
}

// Set writes item, in chunks when it does not fit in one.
func (c *chunkedKeyring) Set(item keyring.Item) error {
	old, hadOld := c.current(item.Key)
	head := item
	if 1+len(item.Data) <= c.max {
		head.Data = append([]byte{formatInline}, item.Data...)
		if err := c.Keyring.Set(head); err != nil {
			return err
		}
	} else {
		var g [genLen / 2]byte
		if _, err := rand.Read(g[:]); err != nil {
			return err
		}
		gen := hex.EncodeToString(g[:])
		n := 0
		for rest := item.Data; len(rest) > 0; n++ {
			part := rest[:min(c.max, len(rest))]
			rest = rest[len(part):]
			chunk := keyring.Item{Key: chunkKey(item.Key, gen, n), Data: part, Label: item.Label, Description: item.Description}
			if err := c.Keyring.Set(chunk); err != nil {
				c.removeChunks(item.Key, manifest{gen: gen, n: n})
				return fmt.Errorf("writing chunk %d: %w", n, err)
			}
		}
		sum := sha256.Sum256(item.Data)
		head.Data = fmt.Appendf([]byte{formatChunked}, "%s %d %x", gen, n, sum)
		if err := c.Keyring.Set(head); err != nil {
			c.removeChunks(item.Key, manifest{gen: gen, n: n})
			return err
		}
	}
	if hadOld {
		c.removeChunks(item.Key, old)
	}
	return nil
}

// Remove deletes the item under key and its chunks.
func (c *chunkedKeyring) Remove(key string) error {
	old, hadOld := c.current(key)
	err := c.Keyring.Remove(key)
	if hadOld {
		c.removeChunks(key, old)
	}
	return err
}

// removeChunks deletes chunks 0..m.n-1 of generation m.gen, as far as it
// can: a chunk left behind is hidden by Keys and referred to by no head.
func (c *chunkedKeyring) removeChunks(key string, m manifest) {
	for i := range m.n {
		_ = c.Keyring.Remove(chunkKey(key, m.gen, i))
	}
}

// Keys lists the heads, not the chunks.
func (c *chunkedKeyring) Keys() ([]string, error) {
	names, err := c.Keyring.Keys()
	if err != nil {
		return nil, err
	}
	out := names[:0:0]
	for _, n := range names {
		if !isChunkKey(n) {
			out = append(out, n)
		}
	}
	return out, nil
}
