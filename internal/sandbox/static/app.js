// The sandbox page: a small Chat look-alike. Everything it shows comes from
// the sandbox's /api, which plays Google Chat against the real bot.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { user: "1001", space: "launch", people: [], members: [], spaces: [], commands: [], org: "", mentions: [], dialogAction: null };

// Chat's knownIcon names, drawn as small badges (no emoji font needed).
const ICONS = { PERSON: "✓", EMAIL: "✉", STAR: "★", DESCRIPTION: "?", MULTIPLE_PEOPLE: "⊘", BOOKMARK: "!", CLOCK: "…" };
const COLORS = ["#0b57d0", "#146c2e", "#a142f4", "#b3261e", "#8c4a00", "#00639b", "#5f6368"];

async function api(path, body) {
  const opts = body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {};
  const res = await fetch(path, opts);
  if (!res.ok) throw new Error(await res.text());
  return res.json();
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : document.createTextNode(c));
  return e;
}

// safeHTML renders the formatting Chat allows in card text (<b> <i> <u> <s>
// <font color> <a href> <br>) and nothing else.
function safeHTML(html) {
  const tpl = document.createElement("template");
  tpl.innerHTML = html || "";
  const out = document.createDocumentFragment();
  const walk = (node, into) => {
    for (const n of node.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) { into.append(n.textContent); continue; }
      if (n.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = n.tagName.toLowerCase();
      let copy = null;
      if (["b", "i", "u", "s", "br"].includes(tag)) copy = document.createElement(tag);
      else if (tag === "font") {
        copy = document.createElement("span");
        const c = n.getAttribute("color") || "";
        if (/^#[0-9a-f]{3,8}$/i.test(c)) copy.style.color = c;
      } else if (tag === "a") {
        copy = document.createElement("a");
        const href = n.getAttribute("href") || "";
        if (/^https?:\/\//i.test(href)) { copy.href = href; copy.target = "_blank"; copy.rel = "noopener"; }
      }
      if (copy) { walk(n, copy); into.append(copy); } else walk(n, into);
    }
  };
  walk(tpl.content, out);
  return out;
}

function initials(name) { return (name || "?").split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase(); }
function color(id) { let h = 0; for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0; return COLORS[h % COLORS.length]; }

function renderWidget(w, opts) {
  if (w.decoratedText) {
    const d = w.decoratedText;
    const known = d.startIcon ? d.startIcon.knownIcon : "";
    return el("div", { class: "dt" }, el("span", { class: "icon " + known }, ICONS[known] || "•"),
      el("div", {}, d.topLabel ? el("div", { class: "top" }, safeHTML(d.topLabel)) : null,
        el("div", { class: "text" }, safeHTML(d.text)),
        d.bottomLabel ? el("div", { class: "bottom" }, safeHTML(d.bottomLabel)) : null));
  }
  if (w.textParagraph) return el("div", { class: "para" }, safeHTML(w.textParagraph.text));
  if (w.divider) return el("hr");
  if (w.textInput) {
    const t = w.textInput;
    const input = t.type === "MULTIPLE_LINE" ? el("textarea", { name: t.name, rows: "3", id: "in-" + t.name }) : el("input", { name: t.name, id: "in-" + t.name });
    input.value = t.value || "";
    return el("label", { class: "input" }, t.label || t.name, input, t.hintText ? el("span", { class: "hintline" }, t.hintText) : null);
  }
  if (w.selectionInput) {
    // Chat's selection inputs: a multiselect or dropdown as a list, boxes
    // as boxes; what is picked is sent as the input's several values.
    const s = w.selectionInput;
    const items = s.items || [];
    if (s.type === "MULTI_SELECT" || s.type === "DROPDOWN") {
      const sel = el("select", { name: s.name, id: "in-" + s.name, class: "pick", size: s.type === "MULTI_SELECT" ? String(Math.min(items.length, 5)) : null },
        items.map((it) => { const o = el("option", { value: it.value }, it.text); o.selected = !!it.selected; return o; }));
      sel.multiple = s.type === "MULTI_SELECT";
      return el("label", { class: "input" }, s.label || s.name, sel);
    }
    const kind = s.type === "RADIO_BUTTON" ? "radio" : "checkbox";
    return el("div", { class: "input choices" }, s.label ? el("div", {}, s.label) : null,
      items.map((it) => { const b = el("input", { type: kind, name: s.name, value: it.value }); b.checked = !!it.selected; return el("label", { class: "choice" }, b, " ", it.text); }));
  }
  if (w.buttonList) {
    return el("div", { class: "buttons" }, (w.buttonList.buttons || []).map((b) => {
      if (b.onClick && b.onClick.openLink) return el("a", { href: b.onClick.openLink.url, target: "_blank", rel: "noopener" }, b.text);
      const action = b.onClick && b.onClick.action ? b.onClick.action : null;
      if (opts.dialog) { opts.dialogButtons.push({ text: b.text, action }); return null; }
      return el("button", { type: "button", class: "cardbutton", onclick: () => clickButton(action) }, b.text);
    }));
  }
  return null;
}

function renderCard(card, opts = {}) {
  const c = el("div", { class: "card" });
  if (card.header) c.append(el("div", { class: "chead" }, el("div", { class: "title" }, card.header.title || ""),
    card.header.subtitle ? el("div", { class: "subtitle", "data-testid": "subtitle" }, card.header.subtitle) : null));
  for (const s of card.sections || []) {
    const sec = el("section", {}, s.header ? el("div", { class: "shead" }, s.header) : null);
    const widgets = (s.widgets || []).map((w) => renderWidget(w, opts)).filter(Boolean);
    const keep = s.collapsible ? (s.uncollapsibleWidgetsCount || 0) : widgets.length;
    widgets.forEach((w, i) => { if (i >= keep) w.hidden = true; sec.append(w); });
    if (widgets.length > keep) {
      // Chat's own words: a widget may hold many lines, so no count.
      const more = el("button", { type: "button", class: "more" }, "Show more");
      more.addEventListener("click", () => { widgets.forEach((w) => (w.hidden = false)); more.remove(); });
      sec.append(more);
    }
    c.append(sec);
  }
  return c;
}

function renderMessage(m) {
  if (m.sender === "system") return el("li", { class: "system", "data-testid": "system" }, m.text);
  const who = m.sender === "app" ? "Invite" : m.senderName;
  const li = el("li", { class: "msg", "data-sender": m.sender },
    el("div", { class: "avatar", style: `background:${m.sender === "app" ? "#00796b" : color(m.sender)}` }, m.sender === "app" ? "IN" : initials(who)),
    el("div", {}, el("div", { class: "meta" }, el("b", {}, who), m.sender === "app" ? el("span", { class: "private" }, "App") : null,
      el("span", {}, new Date(m.time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })),
      m.privateTo ? el("span", { class: "private" }, "Only visible to you") : null)));
  const content = li.lastChild;
  if (m.text) content.append(el("div", { class: "body" }, m.text));
  if (m.configUrl) {
    content.append(el("div", { class: "configure", "data-testid": "configure" },
      el("div", {}, "Invite needs your authorization to add people with your permissions."),
      el("a", { href: m.configUrl, target: "_blank", rel: "opener", id: "configure-link" }, "Configure")));
  }
  for (const cw of m.cards || []) content.append(renderCard(cw.card));
  return li;
}

// The acting-user list: people grouped by space (the one shown first),
// rebuilt only when the grouping changes, so an open list stays put; the
// search box hides who does not match.
function renderPeople(groups) {
  const sig = JSON.stringify(groups);
  const sel = $("user");
  if (sig !== renderPeople.sig) {
    renderPeople.sig = sig;
    const byId = Object.fromEntries(state.people.map((p) => [p.id, p]));
    sel.replaceChildren(...groups.map((g) => el("optgroup", { label: `${g.label} (${g.people.length})` },
      g.people.map((id) => el("option", { value: id }, `${byId[id] ? byId[id].name : id} · ${byId[id] ? byId[id].email : ""}`)))));
    filterPeople();
  }
  sel.value = state.user;
}

function matches(opt, q) { return !q || q.split(/\s+/).every((w) => opt.textContent.toLowerCase().includes(w)); }

function filterPeople() {
  const q = $("usersearch").value.trim().toLowerCase();
  for (const g of $("user").querySelectorAll("optgroup")) {
    let any = false;
    for (const o of g.children) { o.hidden = !matches(o, q); any = any || !o.hidden; }
    g.hidden = !any;
  }
}

function actAs(id) {
  if (!id || id === state.user) return;
  state.user = id; state.mentions = [];
  refresh();
}

function me() { return state.people.find((p) => p.id === state.user) || {}; }

async function refresh() {
  const s = await api(`/api/state?user=${encodeURIComponent(state.user)}&space=${encodeURIComponent(state.space)}`);
  state.people = s.people; state.spaces = s.spaces || []; state.members = s.members || [];
  state.commands = s.commands || []; state.org = s.org || "";
  if (!state.spaces.find((x) => x.id === state.space) && state.spaces.length) { state.space = state.spaces[0].id; return refresh(); }
  renderPeople(s.groups || []);
  $("spaces").replaceChildren(...state.spaces.map((x) => el("li", {}, el("button", {
    type: "button", class: x.id === state.space ? "active" : "", onclick: () => { state.space = x.id; refresh(); },
  }, el("span", {}, (x.type === "GROUP_CHAT" ? "👥 " : "# ") + x.name), x.myState === "INVITED" ? el("span", { class: "tag" }, "invited") : null))));
  const current = state.spaces.find((x) => x.id === state.space);
  $("roomname").textContent = current ? current.name : "No spaces";
  $("invitebanner").hidden = !(current && current.myState === "INVITED");
  const canWrite = !!(current && current.myState === "JOINED");
  $("text").disabled = $("send").disabled = !canWrite;
  $("text").placeholder = canWrite ? "Message · / commands, @ mentions"
    : current ? "Accept the invitation to send messages" : "Not in a space: nothing to send";
  const roleName = { ROLE_MANAGER: "Owner", ROLE_ASSISTANT_MANAGER: "Manager", ROLE_MEMBER: "Member" };
  $("memberlist").replaceChildren(...state.members.map((m) => el("li", { "data-member": m.key, "data-state": m.state },
    el("div", { class: "who" }, el("span", {}, m.name || m.key), el("span", { class: "role" }, m.kind === "person" ? (roleName[m.role] || "") : m.kind)),
    el("span", { class: `chip ${m.state.toLowerCase()}` }, m.state === "JOINED" ? "joined" : "invited"))));
  const stream = $("stream");
  const atBottom = stream.scrollHeight - stream.scrollTop - stream.clientHeight < 40;
  if (!current) {
    // Chat lists only the spaces one belongs to; someone from another
    // organization sees none until a member adds them.
    stream.replaceChildren(el("li", { class: "empty", "data-testid": "nospaces" },
      `${me().name || "You"} (${state.org}) is not in any space yet. Spaces here belong to example.com: ` +
      `people from another organization see a space only once a member adds them by email, and only if the space allows external people.`));
    return;
  }
  stream.replaceChildren(...(s.messages || []).map(renderMessage));
  if (atBottom) stream.scrollTop = stream.scrollHeight;
}

function toast(text) {
  if (!text) return;
  const t = $("toast"); t.textContent = text; t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => (t.hidden = true), 3500);
}

function openDialog(card) {
  const opts = { dialog: true, dialogButtons: [] };
  $("dialogbody").replaceChildren(renderCard(card, opts));
  $("dialogactions").replaceChildren(
    el("button", { type: "button", id: "dialog-cancel", onclick: () => dialogAction("CANCEL_DIALOG") }, "Cancel"),
    // Each of the dialog's buttons sends its own action (the form has
    // Invite and Preview); the first keeps the id tests know it by.
    ...opts.dialogButtons.map((b, i) => el("button", { type: "button", class: i === 0 ? "primary" : "", id: i === 0 ? "dialog-submit" : "dialog-" + b.text.toLowerCase(),
      onclick: () => dialogAction("SUBMIT_DIALOG", b.action) }, b.text)));
  if (!$("dialog").open) $("dialog").showModal();
}

async function handleResult(r) {
  const dialogWasOpen = $("dialog").open;
  if (r.error) toast(r.error);
  if (r.dialog) openDialog(r.dialog);
  else if (r.closed && dialogWasOpen) $("dialog").close();
  // A closed dialog's status line shows as a toast, as in Chat.
  if (dialogWasOpen && r.closed && r.status && !r.error) toast(r.status);
  await refresh();
}

// A button in a message: Chat sends the app the button's own action (a
// REQUEST_DIALOG when its interaction is OPEN_DIALOG).
async function clickButton(action) {
  try { await handleResult(await api("/api/click", { user: state.user, space: state.space, action })); }
  catch (err) { toast(String(err)); }
}

async function dialogAction(dialogEventType, buttonAction) {
  const inputs = {}, picks = {};
  for (const i of $("dialogbody").querySelectorAll("input[name], textarea[name]")) {
    if (i.type === "checkbox" || i.type === "radio") { if (i.checked) (picks[i.name] = picks[i.name] || []).push(i.value); } else inputs[i.name] = i.value;
  }
  for (const s of $("dialogbody").querySelectorAll("select[name]")) {
    const vs = [...s.selectedOptions].map((o) => o.value);
    if (vs.length) picks[s.name] = vs;
  }
  const action = dialogEventType === "CANCEL_DIALOG" ? null : buttonAction;
  const r = await api("/api/click", { user: state.user, space: state.space, action, dialogEventType, inputs, picks });
  if (dialogEventType === "CANCEL_DIALOG") $("dialog").close();
  await handleResult(r);
}

// The @ autocomplete: picking a person inserts "@Name" and remembers it as
// a mention, which the sandbox sends as a USER_MENTION annotation.
function suggestions() {
  const ta = $("text");
  const before = ta.value.slice(0, ta.selectionStart);
  const box = $("suggest");
  // "/" at the start opens the command menu, each with its description.
  const cmd = before.match(/^\/(\w*)$/);
  if (cmd) {
    const list = state.commands.filter((c) => c.name.slice(1).startsWith(cmd[1].toLowerCase()));
    if (!list.length) { box.hidden = true; return; }
    box.replaceChildren(...list.map((c, i) => el("button", { type: "button", class: i === 0 ? "sel" : "", "data-command": c.name,
      onclick: () => { ta.value = c.name + " " + ta.value.slice(before.length); box.hidden = true; ta.focus(); } },
      c.name, el("small", {}, c.description))));
    box.hidden = false;
    return;
  }
  const m = before.match(/(?:^|\s)(@[\w .-]*)$/);
  if (!m) { box.hidden = true; return; }
  const q = m[1].slice(1).toLowerCase();
  // Matched from the start of a word of the name, or of the address.
  const starts = (p) => p.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)) || p.name.toLowerCase().startsWith(q) || p.email.startsWith(q);
  const list = state.people.filter(starts).slice(0, 6);
  if (!list.length) { box.hidden = true; return; }
  box.replaceChildren(...list.map((p, i) => el("button", { type: "button", class: i === 0 ? "sel" : "", "data-user": p.id, onclick: () => pick(p, m[1].length) },
    p.name, el("small", {}, p.email))));
  box.hidden = false;
}

function pick(p, typedLen) {
  const ta = $("text");
  const pos = ta.selectionStart;
  const text = "@" + p.name;
  ta.value = ta.value.slice(0, pos - typedLen) + text + " " + ta.value.slice(pos);
  state.mentions.push({ userId: p.id, text });
  $("suggest").hidden = true;
  ta.focus();
  ta.selectionStart = ta.selectionEnd = pos - typedLen + text.length + 1;
}

async function send(e) {
  e.preventDefault();
  const ta = $("text");
  const text = ta.value.trim();
  if (!text) return;
  const mentions = state.mentions.filter((m) => text.includes(m.text));
  ta.value = ""; state.mentions = [];
  $("suggest").hidden = true;
  $("send").disabled = true;
  try { await handleResult(await api("/api/send", { user: state.user, space: state.space, text, mentions })); }
  catch (err) { toast(String(err)); }
  finally { $("send").disabled = false; }
}

$("composer").addEventListener("submit", send);
$("text").addEventListener("input", suggestions);
$("text").addEventListener("keydown", (e) => {
  const box = $("suggest");
  if (!box.hidden && (e.key === "Enter" || e.key === "Tab")) { e.preventDefault(); box.querySelector("button.sel").click(); return; }
  if (e.key === "Escape") box.hidden = true;
  if (e.key === "Enter" && !e.shiftKey) send(e);
});
$("user").addEventListener("change", (e) => actAs(e.target.value));
$("usersearch").addEventListener("input", filterPeople);
// Enter acts as the first person the search finds.
$("usersearch").addEventListener("keydown", (e) => {
  if (e.key !== "Enter") return;
  e.preventDefault();
  const first = [...$("user").options].find((o) => !o.hidden);
  if (first) { $("user").value = first.value; actAs(first.value); }
});
$("accept").addEventListener("click", async () => { await api("/api/accept", { user: state.user, space: state.space }); refresh(); });
// The members drawer (phone width): a toggle, a close button, Escape and a
// tap outside close it; it opens below its own toggle, never over it.
function setDrawer(open) {
  const d = $("members");
  if (open) d.style.top = Math.ceil($("togglemembers").getBoundingClientRect().bottom + 6) + "px";
  d.classList.toggle("open", open);
  $("togglemembers").setAttribute("aria-expanded", String(open));
}
$("togglemembers").addEventListener("click", (e) => { e.stopPropagation(); setDrawer(!$("members").classList.contains("open")); });
$("closemembers").addEventListener("click", () => setDrawer(false));
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && $("members").classList.contains("open")) setDrawer(false); });
document.addEventListener("click", (e) => { if ($("members").classList.contains("open") && !$("members").contains(e.target)) setDrawer(false); });
$("dialog").addEventListener("cancel", (e) => { e.preventDefault(); dialogAction("CANCEL_DIALOG"); });

refresh();
// Chat pushes updates; the sandbox polls (consent in another tab re-sends
// the message, and other users act too).
setInterval(() => { if (!document.hidden) refresh().catch(() => {}); }, 1500);
