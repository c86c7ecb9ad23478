package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/config"
	"github.com/chatinvite/invitebot/internal/secrets"
)

// TestAppYAML: app.yaml names only settings the bot knows, and every secret
// as a Secret Manager reference, never its value.
func TestAppYAML(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]bool{"PORT": true}
	for _, s := range config.Settings {
		known[s.Name] = true
	}
	top := map[string]string{}
	env := map[string]string{}
	inEnv := false
	line := regexp.MustCompile(`^(\s*)([A-Za-z_]+):\s*(.*?)\s*(#.*)?$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if m[1] == "" {
			inEnv = m[2] == "env_variables"
			top[m[2]] = strings.Trim(m[3], `"`)
			continue
		}
		if inEnv {
			env[m[2]] = strings.Trim(m[3], `"`)
		}
	}
	if top["runtime"] != "go126" || top["main"] != "./cmd/bot" || top["instance_class"] == "" {
		t.Fatalf("runtime %q, main %q, instance_class %q", top["runtime"], top["main"], top["instance_class"])
	}
	for name := range env {
		if !known[name] {
			t.Errorf("app.yaml sets %s, which the bot does not read", name)
		}
	}
	for _, name := range secrets.Names {
		if v, ok := env[name]; ok && !strings.HasPrefix(v, secrets.Prefix) {
			t.Errorf("app.yaml holds %s in plain text; want an sm:// reference", name)
		}
	}
	if _, ok := env["DATABASE_URL"]; !ok {
		t.Error("app.yaml has no DATABASE_URL: App Engine's disk is lost at every restart")
	}
}

// TestDockerfile: non-root, nothing stored in the image, and its build
// command, run here as a script, builds a bot that answers -h.
func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	for _, want := range []string{"USER nonroot", "-trimpath", "-buildvcs=false", "FROM golang:1.26."} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Contains(df, "BOT_DATA_DIR") || strings.Contains(df, "/tmp") {
		t.Error("the Dockerfile points the store into the image's throw-away disk")
	}
	var build string
	for _, l := range strings.Split(df, "\n") {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	if build == "" {
		t.Fatal("no go build in the Dockerfile")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", "-c", strings.ReplaceAll(build, "/out/", out+"/"))
	cmd.Dir = filepath.Join("..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, b)
	}
	if b, err := exec.Command(filepath.Join(out, "bot"), "-h").CombinedOutput(); err != nil || !strings.Contains(string(b), "bot doctor") {
		t.Fatalf("the built bot: %v\n%s", err, b)
	}
}

// TestREADMEListsEverySetting: the README's settings table is the one the
// bot reads.
func TestREADMEListsEverySetting(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings {
		if !strings.Contains(string(raw), "| `"+s.Name+"` |") {
			t.Errorf("README.md's settings table lacks %s", s.Name)
		}
	}
}
