package emulator

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// kms emulates Cloud KMS symmetric encrypt and decrypt: one AES-256-GCM key
// per crypto key name, created on first use.
type kms struct {
	mu   sync.Mutex
	keys map[string]cipher.AEAD
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) string { return strconv.FormatInt(int64(crc32.Checksum(b, castagnoli)), 10) }

func (k *kms) key(name string) cipher.AEAD {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]cipher.AEAD{}
	}
	if a, ok := k.keys[name]; ok {
		return a
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	block, _ := aes.NewCipher(raw)
	a, _ := cipher.NewGCM(block)
	k.keys[name] = a
	return a
}

func decodeB64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}

func (e *Emulator) handleKMS(w http.ResponseWriter, r *http.Request) {
	keyID, method, ok := strings.Cut(r.PathValue("rest"), ":")
	name := "projects/" + r.PathValue("p") + "/locations/" + r.PathValue("l") + "/keyRings/" + r.PathValue("k") + "/cryptoKeys/" + keyID
	var req struct {
		Plaintext                   string `json:"plaintext"`
		Ciphertext                  string `json:"ciphertext"`
		AdditionalAuthenticatedData string `json:"additionalAuthenticatedData"`
	}
	if !ok || json.NewDecoder(r.Body).Decode(&req) != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bad request")
		return
	}
	aad, err := decodeB64(req.AdditionalAuthenticatedData)
	if err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bad additionalAuthenticatedData")
		return
	}
	aead := e.kms.key(name)
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "encrypt":
		pt, err := decodeB64(req.Plaintext)
		if err != nil {
			googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bad plaintext")
			return
		}
		nonce := make([]byte, aead.NonceSize())
		_, _ = rand.Read(nonce)
		ct := aead.Seal(nonce, nonce, pt, aad)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"name": name, "ciphertext": base64.StdEncoding.EncodeToString(ct), "ciphertextCrc32c": crc(ct),
			"verifiedPlaintextCrc32c": true, "verifiedAdditionalAuthenticatedDataCrc32c": true,
		})
	case "decrypt":
		ct, err := decodeB64(req.Ciphertext)
		if err != nil || len(ct) < aead.NonceSize() {
			googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bad ciphertext")
			return
		}
		pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], aad)
		if err != nil {
			googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"plaintext": base64.StdEncoding.EncodeToString(pt), "plaintextCrc32c": crc(pt)})
	default:
		googleError(w, http.StatusNotFound, "NOT_FOUND", "unknown method")
	}
}

// googleError writes a Google API error body.
func googleError(w http.ResponseWriter, code int, status, message string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": message, "status": status}})
}
