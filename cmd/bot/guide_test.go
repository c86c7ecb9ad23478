package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chatinvite/invitebot/internal/config"
)

// guide is docs/deploy.md, with its code blocks in order.
type guide struct {
	text   string
	blocks []string
}

func readGuide(t *testing.T) guide {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	g := guide{text: string(raw)}
	parts := strings.Split(g.text, "```")
	for i := 1; i < len(parts); i += 2 {
		g.blocks = append(g.blocks, strings.TrimPrefix(parts[i], "\n"))
	}
	return g
}

// commands joins each block's continued lines ("\" at the end) into one.
func (g guide) commands() []string {
	var out []string
	for _, b := range g.blocks {
		for _, line := range strings.Split(strings.ReplaceAll(b, "\\\n", " "), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// envFile is the env.yaml the guide writes: setting → value, commented
// lines included (as documented options).
func (g guide) envFile(t *testing.T) (map[string]string, []string) {
	t.Helper()
	for _, b := range g.blocks {
		_, body, ok := strings.Cut(b, "cat > env.yaml <<EOF\n")
		if !ok {
			continue
		}
		body, _, _ = strings.Cut(body, "\nEOF")
		set, commented := map[string]string{}, []string(nil)
		line := regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*):\s*"?(.*?)"?$`)
		for _, l := range strings.Split(body, "\n") {
			m := line.FindStringSubmatch(strings.TrimSpace(l))
			switch {
			case m == nil:
				t.Errorf("env.yaml line %q is not NAME: value", l)
			case m[1] != "":
				commented = append(commented, m[2])
			default:
				set[m[2]] = m[3]
			}
		}
		return set, commented
	}
	t.Fatal("docs/deploy.md writes no env.yaml")
	return nil, nil
}

// TestDeployGuideSettings: the settings the guide deploys with are the
// bot's (bot -h lists each), and are enough for it to start on Cloud Run:
// BOT_BASE_URL is set in the first deploy, to Cloud Run's deterministic URL
// of the service the guide deploys; the add-on's signer is offered.
func TestDeployGuideSettings(t *testing.T) {
	g := readGuide(t)
	set, commented := g.envFile(t)
	var usage bytes.Buffer
	config.Usage(&usage)
	for _, name := range append(slices.Sorted(maps.Keys(set)), commented...) {
		if !strings.Contains(usage.String(), "  "+name+" ") {
			t.Errorf("the guide sets %s, which bot -h does not list", name)
		}
	}
	if !slices.Contains(commented, "CHAT_ADDON_SIGNER") && set["CHAT_ADDON_SIGNER"] == "" {
		t.Error("the guide does not offer CHAT_ADDON_SIGNER for an add-on")
	}
	// The values as the shell and Secret Manager give them, on Cloud Run.
	vars := map[string]string{"PROJECT_ID": "p", "PROJECT_NUMBER": "123", "REGION": "europe-west1", "CLIENT_ID": "id.apps.googleusercontent.com",
		"KMS_KEY": "gcp-kms://projects/p/locations/global/keyRings/invite/cryptoKeys/token-keyset"}
	resolved := map[string]string{
		"GOOGLE_OAUTH_CLIENT_SECRET": "secret", "DATABASE_URL": "postgres://invite:x@/invite?host=/cloudsql/p:europe-west1:invite", "TOKEN_KEYSET": "{}",
	}
	env := map[string]string{"K_SERVICE": "invite"}
	for k, v := range set {
		v = os.Expand(v, func(name string) string {
			if name == "BOT_BASE_URL" {
				return "https://invite-123.europe-west1.run.app"
			}
			return vars[name]
		})
		if r, ok := resolved[k]; ok {
			if !strings.HasPrefix(v, "sm://projects/p/secrets/") {
				t.Errorf("%s=%q: want a Secret Manager reference", k, v)
			}
			v = r
		}
		env[k] = v
	}
	if _, err := config.Load(func(k string) string { return env[k] }, []string{"invite", "help", "logout", "remove"}); err != nil {
		t.Errorf("the guide's settings do not start the bot on Cloud Run: %v", err)
	}
	if !strings.Contains(g.text, "BOT_BASE_URL=https://invite-$PROJECT_NUMBER.$REGION.run.app") || !strings.Contains(g.text, "gcloud run deploy invite ") {
		t.Error("BOT_BASE_URL is not Cloud Run's deterministic URL of the service deployed (https://SERVICE-PROJECT_NUMBER.REGION.run.app)")
	}
	if set["BOT_BASE_URL"] != "$BOT_BASE_URL" {
		t.Errorf("env.yaml's BOT_BASE_URL is %q", set["BOT_BASE_URL"])
	}
	if !strings.Contains(g.text, "$BOT_BASE_URL/oauth2/callback") {
		t.Error("the OAuth client's redirect URI is not given from BOT_BASE_URL")
	}
}

// TestDeployGuideCommands: what the guide runs exists. Its bot commands and
// their flags are in bot -h; the doctor job's --args reach the bot (the
// Dockerfile's entry point); the service and the doctor job share the
// settings and the service account; Go, the Dockerfile and app.yaml agree
// on the version; a shared-core Cloud SQL tier comes with its edition; every
// shell variable is set before it is used; every step it refers to exists.
func TestDeployGuideCommands(t *testing.T) {
	g := readGuide(t)
	var usage bytes.Buffer
	config.Usage(&usage)
	bot := regexp.MustCompile(`(?:go run \./cmd/bot|^bot|\s/bot) ((?:doctor|keyset \w+)(?: -[\w-]+)*)`)
	ran := 0
	for _, c := range g.commands() {
		for _, m := range bot.FindAllStringSubmatch(c, -1) {
			ran++
			words := strings.Fields(m[1])
			sub := "bot " + strings.Join(slices.DeleteFunc(slices.Clone(words), func(w string) bool { return strings.HasPrefix(w, "-") }), " ")
			var line string
			for _, l := range strings.Split(usage.String(), "\n") {
				if strings.Contains(l, sub+" ") || strings.HasSuffix(l, sub) {
					line = l
				}
			}
			if line == "" {
				t.Errorf("%q: bot -h lists no %q", c, sub)
				continue
			}
			for _, w := range words {
				if strings.HasPrefix(w, "-") && !strings.Contains(line, w) {
					t.Errorf("%q: bot -h lists no %s for %s", c, w, sub)
				}
			}
		}
	}
	if ran == 0 {
		t.Fatal("the guide runs no bot command")
	}

	df, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var service, job string
	for _, c := range g.commands() {
		switch { // the first of each: the first deploy
		case service == "" && strings.HasPrefix(c, "gcloud run deploy invite "):
			service = c
		case job == "" && strings.HasPrefix(c, "gcloud run jobs deploy invite-doctor "):
			job = c
		}
	}
	if !strings.Contains(job, "--args doctor") || !strings.Contains(string(df), `ENTRYPOINT ["/bot"]`) {
		t.Errorf("the doctor job does not run bot doctor: %q, Dockerfile entry point", job)
	}
	for _, flag := range []string{"--service-account $SA", "--env-vars-file env.yaml"} {
		if !strings.Contains(service, flag) || !strings.Contains(job, flag) {
			t.Errorf("the service and the doctor job do not both use %s:\n%s\n%s", flag, service, job)
		}
	}

	goMod, _ := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	appYAML, _ := os.ReadFile(filepath.Join("..", "..", "app.yaml"))
	if !strings.Contains(g.text, "Go 1.26") || !strings.Contains(string(goMod), "\ngo 1.26") || !strings.Contains(string(df), "golang:1.26") ||
		!strings.Contains(string(appYAML), "runtime: go126") {
		t.Error("the guide, go.mod, the Dockerfile and app.yaml do not agree on Go 1.26")
	}
	if !strings.Contains(string(appYAML), "service_account:") || !strings.Contains(string(appYAML), "CHAT_ADDON_SIGNER") {
		t.Error("app.yaml lacks the service_account: line or CHAT_ADDON_SIGNER the guide refers to")
	}

	for _, c := range g.commands() {
		if strings.Contains(c, "gcloud sql instances create") && regexp.MustCompile(`db-(f1-micro|g1-small)`).MatchString(c) && !strings.Contains(c, "--edition=ENTERPRISE") {
			t.Errorf("a shared-core tier without --edition=ENTERPRISE (the default edition refuses it): %q", c)
		}
	}

	// Shell variables: set before used, in the order the blocks run.
	assigned := map[string]bool{"EOF": true}
	assign := regexp.MustCompile(`(?:^|[\s;(])([A-Z][A-Z0-9_]*)=`)
	use := regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`)
	for _, c := range g.commands() {
		for _, m := range use.FindAllStringSubmatch(c, -1) {
			// NAME=value cmd … $NAME on one line counts as set.
			if !assigned[m[1]] && !regexp.MustCompile(`(?:^|\s)`+m[1]+`=`).MatchString(c) {
				t.Errorf("$%s is used before it is set: %q", m[1], c)
			}
		}
		for _, m := range assign.FindAllStringSubmatch(c, -1) {
			assigned[m[1]] = true
		}
	}

	// Step references.
	steps := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+[ab]?)\. `).FindAllStringSubmatch(g.text, -1) {
		steps[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`[Ss]teps? (\d+[ab]?)(?:(–|-| and | or )(\d+[ab]?))?`).FindAllStringSubmatch(g.text, -1) {
		refs := []string{m[1]}
		if m[3] != "" {
			refs = append(refs, m[3])
		}
		if m[2] == "–" || m[2] == "-" {
			from, _ := strconv.Atoi(m[1])
			to, _ := strconv.Atoi(m[3])
			for i := from; i <= to; i++ {
				if !steps[strconv.Itoa(i)] && !steps[strconv.Itoa(i)+"a"] {
					t.Errorf("%q: there is no step %d", m[0], i)
				}
			}
			continue
		}
		for _, r := range refs {
			if !steps[r] && !steps[r+"a"] {
				t.Errorf("%q: there is no step %s", m[0], r)
			}
		}
	}
}
