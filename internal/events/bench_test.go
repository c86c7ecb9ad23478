package events

import "testing"

func BenchmarkDecodeClassic(b *testing.B) {
	body := []byte(classicInvite)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAddOn(b *testing.B) {
	body := []byte(addOnAppCommand)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
