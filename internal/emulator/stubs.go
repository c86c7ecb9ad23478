package emulator

import "net/http"

func (e *Emulator) oauthRoutes(mux *http.ServeMux) {}
func (e *Emulator) chatRoutes(mux *http.ServeMux)  {}
