package emulator

import (
	"cmp"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in – Google Emulator</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f0f4f9;margin:0;color:#1f1f1f}
main{max-width:440px;margin:4vh auto;background:#fff;border-radius:24px;padding:24px 28px;box-shadow:0 1px 3px #0002}
@media (max-width:480px){main{margin:0;border-radius:0;padding:16px 18px}}
details{margin:4px 0 0}summary{cursor:pointer;color:#0b57d0;padding:4px 2px}
.others{max-height:40vh;overflow-y:auto;margin-top:8px}
h1{font-size:22px;font-weight:500;margin:0 0 4px}.sub{color:#444;margin:0 0 20px}
.badge{display:inline-block;font-size:12px;background:#fde293;border-radius:8px;padding:2px 8px;margin-bottom:12px}
fieldset{border:0;padding:0;margin:0 0 18px}legend{font-weight:500;margin-bottom:8px}
label{display:flex;gap:10px;align-items:flex-start;padding:10px;border:1px solid #dadce0;border-radius:12px;margin-bottom:8px;cursor:pointer}
label small{display:block;color:#555}.scope{word-break:break-all;font-size:12px}.row{display:flex;gap:12px;justify-content:flex-end}
button{font:inherit;border-radius:20px;padding:10px 22px;border:1px solid #747775;background:#fff;cursor:pointer}
button.primary{background:#0b57d0;color:#fff;border-color:#0b57d0}
</style></head><body><main>
<span class="badge">Google emulator · not real Google</span>
<h1>Sign in to continue to {{.Client}}</h1>
<p class="sub">Check the account and what the app may do.</p>
<form method="post" action="/o/oauth2/v2/auth">
{{range $k, $v := .Hidden}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<fieldset><legend>Account</legend>
{{with .First}}<label class="first"><input type="radio" name="account" value="{{.Email}}" checked id="acct-{{.ID}}">
<span>{{.DisplayName}}<small>{{.Email}}</small></span></label>{{end}}
{{if .Others}}<details id="others"><summary>Use another account ({{len .Others}})</summary><div class="others">
{{range .Others}}<label><input type="radio" name="account" value="{{.Email}}" id="acct-{{.ID}}">
<span>{{.DisplayName}}<small>{{.Email}}</small></span></label>{{end}}
</div></details>{{end}}
</fieldset>
<fieldset><legend>Allow the app to</legend>
{{range .Scopes}}<label><input type="checkbox" name="grant" value="{{.Value}}" checked><span>{{.Label}}<small class="scope">{{.Value}}</small></span></label>{{end}}
</fieldset>
<div class="row"><button name="decision" value="deny" id="deny">Cancel</button>
<button class="primary" name="decision" value="allow" id="allow">Allow</button></div>
</form></main></body></html>`))

var scopeLabels = map[string]string{
	ScopeMemberships:              "See, add and remove members of your Chat spaces",
	ScopeMembershipsApp:           "Add and remove itself in your Chat spaces",
	ScopeGroupsReadonly:           "See the Google Groups of your organization",
	ScopeSpacesReadonly:           "View chat and spaces in Google Chat",
	ScopeSpaces:                   "Create conversations and spaces and see or update metadata (including history settings and access settings) in Google Chat",
	ScopeAdminMemberships:         "View, add, update and remove members and managers in conversations owned by your organization",
	ScopeAdminMembershipsReadonly: "View members and managers in conversations owned by your organization",
}

// renderConsentPage shows the account chooser and scope checkboxes; the form
// posts back the original request's parameters.
func (e *Emulator) renderConsentPage(w http.ResponseWriter, q url.Values, req *authRequest) {
	hidden := map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method", "include_granted_scopes", "access_type", "prompt", "login_hint"} {
		if v := q.Get(k); v != "" {
			hidden[k] = v
		}
	}
	type scope struct{ Value, Label string }
	var scopes []scope
	for _, s := range req.scopes {
		if s != ScopeOpenID {
			scopes = append(scopes, scope{s, scopeLabels[s]})
		}
	}
	people := e.People()
	hint := ""
	for _, p := range people {
		if p.ID == q.Get("login_hint") || strings.EqualFold(p.Email, q.Get("login_hint")) {
			hint = p.ID
		}
	}
	if hint == "" && len(people) > 0 {
		hint = people[0].ID
	}
	// The account the app asked for (login_hint) first and chosen, the
	// others folded away, so Allow is in view without scrolling.
	var first *Person
	var others []Person
	for _, p := range people {
		if p.ID == hint {
			first = &p
		} else {
			others = append(others, p)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{
		"Client": cmp.Or(req.client.name, req.client.id), "Hidden": hidden, "First": first, "Others": others, "Scopes": scopes,
	})
}
