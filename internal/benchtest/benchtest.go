// Package benchtest runs a package's benchmarks from its tests, a few
// iterations each, so that a benchmark BENCHMARKS.md quotes and that no
// longer runs (a fixture gone stale, a quota it waits for) fails
// go test ./... rather than the next person who measures.
package benchtest

import (
	"flag"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Run runs each benchmark for n iterations, as -benchtime Nx does, and
// fails t for each one that fails or stops short.
func Run(t *testing.T, n int, benchmarks ...func(*testing.B)) {
	t.Helper()
	f := flag.Lookup("test.benchtime")
	if f == nil {
		t.Fatal("no -test.benchtime flag: not a test binary")
	}
	was := f.Value.String()
	if err := f.Value.Set(fmt.Sprintf("%dx", n)); err != nil {
		t.Fatalf("set -test.benchtime: %v", err)
	}
	defer f.Value.Set(was) //nolint:errcheck // the value it had
	for _, bench := range benchmarks {
		name := runtime.FuncForPC(reflect.ValueOf(bench).Pointer()).Name()
		name = name[strings.LastIndexByte(name, '.')+1:]
		if r := testing.Benchmark(bench); r.N < n {
			t.Errorf("%s failed or stopped after %d of %d iterations (go test -run '^$' -bench '^%s$' -benchtime %dx shows why)",
				name, r.N, n, name, n)
		}
	}
}
