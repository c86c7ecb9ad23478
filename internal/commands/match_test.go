package commands

import (
	"regexp"
	"testing"
)

// The patterns the hand-written matchers implement, as regular expressions.
var (
	emailSpec      = regexp.MustCompile(`^[^\s@<>(),;:"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
	numericIDSpec  = regexp.MustCompile(`^[0-9]{1,40}$`)
	resourceIDSpec = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

var matcherSeeds = []string{
	"", "a@b.c", "alice@example.com", "Alice.O'Neil+tag@sub.example.co.uk", "a@b", "@b.c", "a@@b.c", "a@b..c",
	"a@-b.c", "a@b-.c", "a@b.c-", "a@b.-c", "a@b_c.d", "a b@c.d", "a\t@c.d", "a\v@c.d", "a\n@c.d", "a@c.d\n",
	"é@ex.am", "\xff@ex.am", "a<b@c.d", "a]@c.d", "a@c.d.", ".a@c.d", "a@1.2", "a@xn--bcher-kva.example",
	"0", "123", "1234567890123456789012345678901234567890", "12345678901234567890123456789012345678901",
	"12a", "-", "_", "AAAA-bbb_9", "ab/c", "١٢٣", string(make([]byte, 129)),
}

func TestMatchersAgreeWithTheirPatterns(t *testing.T) {
	for _, s := range matcherSeeds {
		checkMatchers(t, s)
	}
	long := make([]byte, 128)
	for i := range long {
		long[i] = 'a'
	}
	checkMatchers(t, string(long))
	checkMatchers(t, string(long)+"b")
}

func FuzzMatchers(f *testing.F) {
	for _, s := range matcherSeeds {
		f.Add(s)
	}
	f.Fuzz(checkMatchers)
}

func checkMatchers(t *testing.T, s string) {
	if got, want := isEmail(s), emailSpec.MatchString(s); got != want {
		t.Errorf("isEmail(%q) = %v, the pattern says %v", s, got, want)
	}
	if got, want := isNumericID(s), numericIDSpec.MatchString(s); got != want {
		t.Errorf("isNumericID(%q) = %v, the pattern says %v", s, got, want)
	}
	if got, want := isResourceID(s), resourceIDSpec.MatchString(s); got != want {
		t.Errorf("isResourceID(%q) = %v, the pattern says %v", s, got, want)
	}
}
