package emulator

import "net/http"

// chatState is the emulated Chat API's spaces and memberships.
type chatState struct{}

func newChatState() *chatState { return &chatState{} }

func (e *Emulator) chatRoutes(mux *http.ServeMux) {}
