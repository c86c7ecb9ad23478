package main

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// TestCountsThisTree: the production binary's count is there, and is at
// least the event path's.
func TestCountsThisTree(t *testing.T) {
	var out bytes.Buffer
	if err := run("", &out); err != nil {
		t.Fatal(err)
	}
	total := regexp.MustCompile(`production binary \(.*\): (\d+)`).FindSubmatch(out.Bytes())
	event := regexp.MustCompile(`event path \(.*\): (\d+)`).FindSubmatch(out.Bytes())
	if total == nil || event == nil {
		t.Fatalf("no counts:\n%s", out.String())
	}
	n, _ := strconv.Atoi(string(total[1]))
	e, _ := strconv.Atoi(string(event[1]))
	if e <= 0 || n < e || !bytes.Contains(out.Bytes(), []byte("/internal/events\n")) {
		t.Fatalf("counts %d (event path %d):\n%s", n, e, out.String())
	}
}
