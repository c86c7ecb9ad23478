package emulator

// state is everything the emulator remembers; guarded by Emulator.mu.
type state struct{}

func newState() *state { return &state{} }
