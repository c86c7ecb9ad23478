package oauthflow

import (
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/page.html
var templateFS embed.FS

var pageTemplate = template.Must(template.ParseFS(templateFS, "templates/page.html"))

// page is one small HTML answer to a person in a browser. It never carries a
// code, a token or an internal error.
type page struct {
	Status int
	// Icon is one plain character drawn in a coloured badge (no emoji
	// font needed); Tone picks the colour: ok, warn or stop.
	Icon        string
	Tone        string
	Title       string
	Lines       []string
	Action      string
	ActionLabel string
}

var (
	pageLinkInvalid = page{Status: http.StatusBadRequest, Icon: "!", Tone: "warn", Title: "This link does not work",
		Lines: []string{"The authorization link is incomplete or was changed.", "Go back to Google Chat and run your command again to get a new link."}}
	pageLinkExpired = page{Status: http.StatusBadRequest, Icon: "!", Tone: "warn", Title: "This link has expired",
		Lines: []string{"Authorization links work for 15 minutes.", "Go back to Google Chat and run your command again to get a new link."}}
	pageLinkUsed = page{Status: http.StatusBadRequest, Icon: "!", Tone: "warn", Title: "This link was already used",
		Lines: []string{"Each authorization link works once.", "Go back to Google Chat and run your command again to get a new link."}}
	pageFlowUnknown = page{Status: http.StatusBadRequest, Icon: "!", Tone: "warn", Title: "We could not match this sign-in",
		Lines: []string{"This sign-in was not started here, has expired, or was already completed.", "Go back to Google Chat and run your command again."}}
	pageOtherBrowser = page{Status: http.StatusBadRequest, Icon: "!", Tone: "warn", Title: "Finish in the browser you started in",
		Lines: []string{"This sign-in was started in another browser or window, so we stopped it to protect your account.", "Go back to Google Chat and open the authorization link again in this browser."}}
	pageGoogleFailed = page{Status: http.StatusBadGateway, Icon: "!", Tone: "warn", Title: "Google did not finish the sign-in",
		Lines: []string{"Nothing was saved. This is usually temporary."}}
	pageStoreFailed = page{Status: http.StatusServiceUnavailable, Icon: "!", Tone: "warn", Title: "We could not save your authorization",
		Lines: []string{"Nothing was saved. This is usually temporary: try again in a minute."}}
)

func pageDenied(retry string) page {
	return page{Status: http.StatusOK, Icon: "×", Tone: "stop", Title: "You did not authorize Invite",
		Lines:  []string{"Nothing was saved, and Invite cannot act for you.", "Invite adds people with your own permissions in Chat, never more. If you change your mind, try again."},
		Action: retry, ActionLabel: "Try again"}
}

func pageWrongAccount(retry string) page {
	return page{Status: http.StatusForbidden, Icon: "?", Tone: "warn", Title: "Sign in with the account you use in Chat",
		Lines: []string{"You signed in to Google with a different account from the one that ran the command in Chat. Nothing was saved.",
			"Try again and choose the same account you use in Google Chat."},
		Action: retry, ActionLabel: "Try again"}
}

func pageMissingScopes(retry string) page {
	return page{Status: http.StatusOK, Icon: "!", Tone: "warn", Title: "Invite needs every permission it asked for",
		Lines: []string{"Some permissions were unticked on Google's consent screen, so Invite cannot add people for you. Nothing was saved.",
			"Try again and leave every box ticked."},
		Action: retry, ActionLabel: "Try again"}
}

var pageDone = page{Status: http.StatusOK, Icon: "✓", Tone: "ok", Title: "You're all set",
	Lines: []string{"Invite can now add people for you.", "Go back to Google Chat and run your command again."}}

func (p page) render(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'")
	w.WriteHeader(p.Status)
	_ = pageTemplate.Execute(w, p)
}
