package emulator

import (
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
)

// AddSecret stores a secret's value as version 1 (and latest) of
// projects/project/secrets/name, as Secret Manager holds it.
func (e *Emulator) AddSecret(project, name, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state.secrets == nil {
		e.state.secrets = map[string]string{}
	}
	base := "projects/" + project + "/secrets/" + name + "/versions/"
	e.state.secrets[base+"1"] = value
	e.state.secrets[base+"latest"] = value
}

// handleAccessSecret serves Secret Manager's
// GET /v1/projects/P/secrets/S/versions/V:access.
func (e *Emulator) handleAccessSecret(w http.ResponseWriter, r *http.Request) {
	version, ok := strings.CutSuffix(r.PathValue("version"), ":access")
	if !ok {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Method not found.")
		return
	}
	name := "projects/" + r.PathValue("project") + "/secrets/" + r.PathValue("secret") + "/versions/" + version
	e.mu.Lock()
	value, found := e.state.secrets[name]
	e.mu.Unlock()
	if !found {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "Secret ["+name+"] not found or has no versions.")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	sum := crc32.Checksum([]byte(value), crc32.MakeTable(crc32.Castagnoli))
	_ = json.NewEncoder(w).Encode(map[string]any{
		"name":    name,
		"payload": map[string]any{"data": []byte(value), "dataCrc32c": strconv.FormatUint(uint64(sum), 10)},
	})
}
