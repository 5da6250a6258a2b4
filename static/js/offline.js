// Portal PSM offline forms: drafts kept on the phone as the PSM types, an outbox that sends
// itself when the signal returns, and the service worker that opens the pages without one.
// Plain JavaScript, no build step. Loaded as a file (CSP: no inline JS). The server half and the
// protocol are described in psm_portal/offline.py; every visible word comes from the page
// (templates/offline/outbox.html), so it is translated like the rest of the portal.
(function () {
  "use strict";

  const DB_NAME = "portal-psm";
  const DRAFTS = "drafts";
  const OUTBOX = "outbox";
  const MAX_PHOTO_SIDE = 1600;
  const PHOTO_QUALITY = 0.8;
  const MAX_BACKOFF_S = 300;
  const CHECK_EVERY_MS = 15000;
  const HEARTBEAT_EVERY_MS = 5 * 60 * 1000;
  const KEEP_SENT_MS = 24 * 3600 * 1000;
  const WAITING = ["menunggu", "mengirim", "perlu_masuk"];

  const mount = document.querySelector("[data-offline-mount]");
  const textsNode = document.getElementById("offline-teks");
  const T = textsNode ? JSON.parse(textsNode.textContent) : {};

  function t(key, vars) {
    return (T[key] || key).replace(/%\((\w+)\)s/g, (_, name) => String((vars || {})[name] ?? ""));
  }

  // While a form is being sent, its buttons are off and the one tapped says "Mengirim…" where
  // the thumb is: on a weak signal a send takes a while, and the outbox bar that also says so
  // is off the screen at the top of a long form.
  function showSending(buttons, submitter, on) {
    buttons.forEach((b) => {
      b.disabled = on;
      if (!on && b.dataset.offlineLabel !== undefined) {
        b.textContent = b.dataset.offlineLabel;
        delete b.dataset.offlineLabel;
        b.removeAttribute("aria-busy");
      }
    });
    // Enter on the case form taps its hidden default button: the visible one like it says so
    const shown = [...buttons].filter((b) => !b.hidden);
    const pressed = submitter && !submitter.hidden
      ? submitter
      : shown.find((b) => submitter && b.name === submitter.name && b.value === submitter.value) ||
        shown[0];
    if (on && pressed && pressed.dataset.offlineLabel === undefined) {
      pressed.dataset.offlineLabel = pressed.textContent;
      pressed.textContent = t("mengirim");
      pressed.setAttribute("aria-busy", "true");
    }
  }

  function newId() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Times in the page's language (an English page wrote "6 Des, 18.05").
  const LOCALE = document.documentElement.lang === "en" ? "en-GB" : "id-ID";

  function clock(ms) {
    return new Date(ms).toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
  }

  function when(ms) {
    const date = new Date(ms);
    return date.toLocaleString(LOCALE, {
      day: "numeric",
      month: "short",
      // an item kept over the new year would read as this year's
      year: date.getFullYear() === new Date().getFullYear() ? undefined : "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  // --- IndexedDB, a very small wrapper ---------------------------------------------------------

  let dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const d = request.result;
          if (!d.objectStoreNames.contains(DRAFTS)) d.createObjectStore(DRAFTS, { keyPath: "id" });
          if (!d.objectStoreNames.contains(OUTBOX)) d.createObjectStore(OUTBOX, { keyPath: "id" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function run(store, mode, action) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = d.transaction(store, mode);
      const request = action(tx.objectStore(store));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const idb = {
    get: (store, key) => run(store, "readonly", (s) => s.get(key)),
    all: (store) => run(store, "readonly", (s) => s.getAll()),
    put: (store, value) => run(store, "readwrite", (s) => s.put(value)),
    del: (store, key) => run(store, "readwrite", (s) => s.delete(key)),
    clear: (store) => run(store, "readwrite", (s) => s.clear()),
  };

  // --- Logout: the device's copy of case data goes with the session --------------------------

  async function wipeDevice() {
    try {
      await idb.clear(DRAFTS);
      await idb.clear(OUTBOX);
    } catch (error) {
      /* nothing stored here */
    }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "bersihkan" });
    }
    if (self.caches) {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n === "psm-halaman").map((n) => caches.delete(n)));
    }
  }

  document.querySelectorAll("form[data-clear-offline]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.offlineCleared) return;
      event.preventDefault();
      let unsent = 0;
      try {
        unsent = (await idb.all(OUTBOX)).filter((i) => i.state !== "terkirim").length;
      } catch (error) {
        unsent = 0;
      }
      if (unsent && !window.confirm(t("keluar_konfirmasi", { n: unsent }))) return;
      // Logged out first, then wiped: without signal the wipe came and the logout did not, and
      // the PSM, shown the browser's error page, took the shared phone for signed out.
      // (Its redirect not followed: the login page it leads to says "Anda sudah keluar" once.)
      let answer = null;
      try {
        answer = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          redirect: "manual",
        });
      } catch (error) {
        answer = null;
      }
      if (!answer || !(answer.ok || answer.type === "opaqueredirect")) {
        window.alert(t("keluar_butuh_sinyal"));
        return;
      }
      await wipeDevice();
      form.dataset.offlineCleared = "1";
      location.replace(form.dataset.afterLogout || "/");
    });
  });

  // An account turned off since this phone signed in: the login page says so, and the device's
  // copy goes as at logout (the server's Clear-Site-Data header asks the browser for the same).
  if (document.querySelector("[data-clear-offline-now]")) wipeDevice();

  // --- Messages handed on to the next page ----------------------------------------------------

  // The server keeps a send's messages for the next page only when a page waits for its answer.
  // A submit that joined a send already under way in the background (the timer's, another
  // tab's) got an answer kept for no page: it hands the messages on itself, shown once, where
  // and as Django's are (templates/base.html).
  const HANDED_ON = "psm-pesan";

  function handOn(item) {
    if (!item.messages || !item.messages.length) return;
    const to = new URL(item.url, location.href);
    try {
      sessionStorage.setItem(HANDED_ON, JSON.stringify({
        page: to.pathname + to.search,
        messages: item.messages,
        levels: item.levels || [],
      }));
    } catch (error) {
      /* the outbox still lists them */
    }
  }

  function showHandedOn() {
    let handed = null;
    try {
      handed = JSON.parse(sessionStorage.getItem(HANDED_ON));
      sessionStorage.removeItem(HANDED_ON);
    } catch (error) {
      return;
    }
    const main = document.getElementById("konten");
    if (!handed || !main || handed.page !== location.pathname + location.search) return;
    main.prepend(...handed.messages.map((text, i) => {
      const level = handed.levels[i] === "error" ? "danger" : handed.levels[i] || "info";
      return element("div", { class: `alert alert-${level}`, role: "status", text });
    }));
  }

  showHandedOn();

  if (!mount || !self.indexedDB) return; // the rest is for a PSM's pages only

  const USER = mount.dataset.user;
  // The office's period, learnt at the last check-in with the server (14 days until then).
  const draftDays = () => parseInt(localStorage.getItem("psm-draf-hari") || "14", 10);
  const SYNC_URL = mount.dataset.syncUrl;
  const LOGIN_URL = mount.dataset.loginUrl;
  mount.hidden = false;

  // --- Photos: shrunk on the phone before they are stored or sent ------------------------------

  async function shrink(file) {
    if (!file.type || !file.type.startsWith("image/")) return file;
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, MAX_PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      const blob = await new Promise((resolve) =>
        canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY)
      );
      if (!blob) return file;
      const name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: Date.now() });
    } catch (error) {
      return file; // the server decodes and shrinks again anyway
    }
  }

  function putFiles(input, files) {
    const transfer = new DataTransfer();
    files.forEach((f) => transfer.items.add(f));
    input.files = transfer.files;
  }

  // --- Drafts ----------------------------------------------------------------------------------

  function skipField(el) {
    return (
      !el.name ||
      el.disabled ||
      el.name === "csrfmiddlewaretoken" ||
      ["submit", "button", "reset", "file"].includes(el.type)
    );
  }

  function readFields(form) {
    const fields = [];
    for (const el of form.elements) {
      if (skipField(el)) continue;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) continue;
      if (el.tagName === "SELECT" && el.multiple) {
        for (const option of el.selectedOptions) fields.push([el.name, option.value]);
      } else {
        fields.push([el.name, el.value]);
      }
    }
    return fields;
  }

  function writeFields(form, fields) {
    const values = new Map();
    fields.forEach(([name, value]) => {
      if (!values.has(name)) values.set(name, []);
      values.get(name).push(value);
    });
    for (const el of form.elements) {
      if (skipField(el)) continue;
      const mine = values.get(el.name) || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = mine.includes(el.value);
      else if (el.tagName === "SELECT" && el.multiple) {
        for (const option of el.options) option.selected = mine.includes(option.value);
      } else if (values.has(el.name)) el.value = mine[0];
    }
  }

  function filesOf(form) {
    const files = {};
    form.querySelectorAll("input[type=file]").forEach((input) => {
      if (input.name && input.files.length) {
        files[input.name] = Array.from(input.files, (f) => ({ name: f.name, type: f.type, blob: f }));
      }
    });
    return files;
  }

  function pagePath() {
    return location.pathname + location.search;
  }

  function draftIdFor(form) {
    // The whole identifier: an edit's is "kind:/its/page/", which a word match cut to "kind",
    // so that a refused edit's copy was never found again, nor deleted once sent, and came
    // back over the case the next time it was returned.
    const match = location.hash.match(/draf=([^&]+)/);
    if (match) return decodeURIComponent(match[1]);
    if (!form.hasAttribute("data-offline-new")) return `${form.dataset.offline}:${location.pathname}`;
    return null;
  }

  function titleOf(form) {
    const field = form.dataset.offlineTitleField && form.elements[form.dataset.offlineTitleField];
    const base = form.dataset.offlineTitle || t("tanpa_judul");
    return field && field.value.trim() ? `${base}: ${field.value.trim()}` : base;
  }

  async function saveDraft(form) {
    let id = form.dataset.offlineDraft;
    if (!id) {
      id = newId();
      form.dataset.offlineDraft = id;
      history.replaceState(history.state, "", `${pagePath()}#draf=${id}`);
    }
    const previous = await idb.get(DRAFTS, id);
    const draft = {
      ...(previous || {}),
      id,
      user: USER,
      kind: form.dataset.offline,
      page: pagePath(),
      action: new URL(form.getAttribute("action") || pagePath(), location.href).href,
      title: titleOf(form),
      fields: readFields(form),
      shown: (previous && previous.shown) || form.psmShownIdentity || [],
      files: filesOf(form),
      savedAt: Date.now(),
    };
    await idb.put(DRAFTS, draft);
    const status = form.querySelector("[data-offline-status]");
    if (status) {
      const photos = Object.values(draft.files).reduce((n, list) => n + list.length, 0);
      status.textContent =
        t("tersimpan_perangkat", { jam: clock(draft.savedAt) }) +
        (photos ? " " + t("foto_tersimpan", { n: photos }) : "");
    }
    return draft;
  }

  function notice(form, html) {
    let box = form.parentElement.querySelector("[data-offline-notice]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-offline-notice", "");
      form.before(box);
    }
    box.replaceChildren(html);
  }

  function element(tag, attrs, ...children) {
    const el = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v);
    });
    children.filter(Boolean).forEach((c) => el.append(c));
    return el;
  }

  function showQueued(form, itemId) {
    form.hidden = true;
    const path = location.pathname + location.search;
    notice(
      form,
      element(
        "div",
        { class: "alert alert-info", role: "status", id: "masuk-kotak-keluar", "data-item": itemId || "" },
        element("p", { class: "mb-2", text: t("masuk_antrean") }),
        element(
          "div",
          { class: "d-flex flex-wrap gap-2" },
          form.hasAttribute("data-offline-new")
            ? element("a", { class: "btn btn-primary btn-sm", href: path, text: t("isi_baru") })
            : null,
          form.dataset.offlineBack
            ? element("a", {
                class: "btn btn-outline-secondary btn-sm",
                href: form.dataset.offlineBack,
                text: form.dataset.offlineBackLabel || form.dataset.offlineBack,
              })
            : null
        )
      )
    );
  }

  // The subject's identity as a draft's page showed it (its fields are prefilled): what the PSM
  // changed in it, not what was merely shown, is what a page without those fields must mention.
  function identityTyped(draft, form) {
    if (!draft.shown) return false; // a draft kept before the page's values were: not known
    const typed = new Map(draft.fields.filter(([name]) => name.startsWith("s-")));
    const was = new Map(draft.shown);
    for (const name of new Set([...typed.keys(), ...was.keys()])) {
      if (form.elements[name]) continue;
      if ((typed.get(name) ?? "") !== (was.get(name) ?? "")) return true;
    }
    return false;
  }

  async function setupForm(form) {
    form.psmShownIdentity = readFields(form).filter(([name]) => name.startsWith("s-"));
    const id = draftIdFor(form);
    if (id) form.dataset.offlineDraft = id;
    const draft = id ? await idb.get(DRAFTS, id) : null;
    if (draft && draft.user === USER) {
      form.dataset.offlineDraft = draft.id;
      if (draft.queued) {
        showQueued(form, draft.queued);
      } else {
        writeFields(form, draft.fields);
        // The subject's identity typed into a draft whose page no longer has it (a case about the
        // subject went to the office meanwhile): said, not dropped unsaid.
        const identityDropped =
          document.querySelector("[data-identity-locked]") && identityTyped(draft, form);
        for (const [name, files] of Object.entries(draft.files || {})) {
          const input = form.elements[name];
          if (input && input.type === "file") {
            putFiles(input, files.map((f) => new File([f.blob], f.name, { type: f.type })));
          }
        }
        // What the server asked to fix when the outbox sent it (reopened from the outbox).
        const asked = draft.problems ? problemLines(draft.problems) : [];
        for (const name of (draft.problems && draft.problems.isian) || []) {
          const input = form.elements[name];
          if (input && input.classList) input.classList.add("is-invalid");
        }
        notice(
          form,
          element(
            "div",
            { class: "alert alert-secondary", role: "status", id: "draf-dipulihkan" },
            // On the page that says what to fix the PSM has just sent the form: "restored" would
            // read as if it had been lost.
            element("span", {
              text: (document.querySelector("[data-error-summary]") || form.querySelector(".is-invalid")
                ? t("draf_perlu_diperbaiki")
                : t("draf_dipulihkan", { waktu: when(draft.savedAt) })) + " ",
            }),
            // A button a thumb can hit, and a question first: one slip under the error box lost
            // a whole assessment with its photos.
            element("button", {
              type: "button",
              class: "btn btn-outline-secondary btn-sm d-block mt-2",
              text: t("buang_draf"),
              onclick: async () => {
                if (!window.confirm(t("buang_draf_konfirmasi"))) return;
                await idb.del(DRAFTS, draft.id);
                location.replace(location.pathname + location.search);
              },
            }),
            identityDropped
              ? element("p", {
                  class: "mb-0 mt-1 fw-semibold",
                  id: "identitas-draf-tidak-dipakai",
                  text: t("identitas_draf_terkunci"),
                })
              : null,
            asked.length
              ? element("div", { class: "mt-1", id: "draf-diminta-perbaiki" },
                  element("span", { class: "fw-semibold", text: t("diminta_perbaiki") }),
                  element("ul", { class: "small mb-0 ps-3" }, ...asked.map((line) => element("li", { text: line }))))
              : null
          )
        );
      }
    } else if (form.dataset.offlineFreshId) {
      // Back to a form already sent (its copy gone): the browser fills its fields again, and
      // with a new identifier they were recorded twice. A blank form, as a new one is.
      const [navigation] = performance.getEntriesByType("navigation");
      if (navigation && navigation.type === "back_forward") form.reset();
      // The page may come from the phone's cache, so its identifier may already be used: every
      // new form gets its own, chosen here.
      const field = form.elements[form.dataset.offlineFreshId];
      if (field) field.value = newId();
    }

    let timer = null;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(() => saveDraft(form), 300);
    };
    form.addEventListener("input", later);
    form.addEventListener("change", async (event) => {
      const input = event.target;
      if (input.type === "file" && input.files.length && !input.dataset.offlineShrinking) {
        input.dataset.offlineShrinking = "1";
        const shrunk = await Promise.all(Array.from(input.files, shrink));
        putFiles(input, shrunk);
        delete input.dataset.offlineShrinking;
        await saveDraft(form);
        return;
      }
      later();
    });

    // Back to this page from the one its send led to, kept whole by the browser: it still
    // holds what was sent, under the identifier already used (sent again, it would be taken for
    // the same submission, or overwrite the draft), and may be handed to the server's page.
    // Loaded afresh, it is a new form, or the draft as the phone keeps it.
    window.addEventListener("pageshow", (event) => {
      if (event.persisted && form.dataset.offlineBusy) location.reload();
    });

    form.addEventListener("submit", async (event) => {
      if (form.dataset.offlineNative) return; // handing over to the server's own page
      event.preventDefault();
      if (form.dataset.offlineBusy) return; // a double tap
      form.dataset.offlineBusy = "1";
      const buttons = form.querySelectorAll("button[type=submit]");
      const submitter = event.submitter;
      showSending(buttons, submitter, true);
      clearTimeout(timer);
      const draft = await saveDraft(form);
      const item = {
        id: newId(),
        draftId: draft.id,
        user: USER,
        kind: draft.kind,
        title: draft.title,
        page: draft.page,
        action: draft.action,
        fields: submitter && submitter.name
          ? [...draft.fields, [submitter.name, submitter.value]]
          : draft.fields,
        files: draft.files,
        state: "menunggu",
        attempts: 0,
        nextAt: 0,
        createdAt: Date.now(),
      };
      await idb.put(OUTBOX, item);
      await idb.put(DRAFTS, { ...draft, queued: item.id, problems: null });
      await render();
      let outcome = null;
      if (navigator.onLine) outcome = await outbox.send(item.id, { foreground: true });
      if (outcome && outcome.state === "terkirim" && outcome.url) {
        if (!outcome.flashed) handOn(outcome);
        location.assign(outcome.url);
        return;
      }
      if (outcome && outcome.state === "perlu_diperbaiki") {
        // The server's own page shows what to fix, next to each field; the draft, kept on the
        // phone until then, fills that page again, photos included (the server's page cannot).
        // Were the draft deleted here, a signal lost before that page came would lose everything
        // typed. The photos are not uploaded again when the refusal names only other fields;
        // otherwise they are: without them a form refused for its photos (a count, or an
        // unreadable file, which is not tied to the field) would be valid there, and saved
        // without its photos and without a word.
        await idb.del(OUTBOX, item.id);
        // the server's page says what to fix now: not an earlier refusal's list
        await idb.put(DRAFTS, { ...draft, queued: null, problems: null });
        const back = new URL(draft.action);
        back.hash = `draf=${draft.id}`;
        form.action = back.href;
        const refused = outcome.problems && outcome.problems.isian;
        const otherFieldsOnly = Array.isArray(refused) && !refused.includes("__all__");
        form.querySelectorAll("input[type=file]").forEach((input) => {
          input.disabled = otherFieldsOnly && !refused.includes(input.name);
        });
        form.dataset.offlineNative = "1";
        showSending(buttons, submitter, false); // a disabled button would not be sent
        form.requestSubmit(submitter || undefined);
        showSending(buttons, submitter, true); // the form's fields are taken: the page is on its way
        return;
      }
      showSending(buttons, submitter, false);
      delete form.dataset.offlineBusy;
      showQueued(form, item.id);
      await render();
    });
  }

  // --- The outbox ------------------------------------------------------------------------------

  let csrfToken = null;
  let lastHeartbeat = parseInt(localStorage.getItem("psm-sinkron-terakhir") || "0", 10);
  let lastContact = lastHeartbeat;
  let flushing = null;

  function backoffSeconds(attempts) {
    return Math.min(MAX_BACKOFF_S, 2 ** Math.max(1, attempts));
  }

  // How long a request may take before it is given up: a minute, and for a send a second more
  // per KB it carries, as if at 1 KB/s (a weak 2G uplink): a form with five photos of 400 KB has
  // over half an hour, so a slow upload that still moves is not cut off and sent again.
  function sendTimeMs(item) {
    let bytes = 0;
    item.fields.forEach(([, value]) => (bytes += String(value).length));
    Object.values(item.files || {}).forEach((files) => files.forEach((f) => (bytes += f.blob.size)));
    return outbox.baseTimeoutMs + bytes;
  }

  function timeLimit(ms) {
    return typeof AbortSignal !== "undefined" && AbortSignal.timeout
      ? AbortSignal.timeout(ms)
      : undefined;
  }

  async function freshToken() {
    // A page opened from the cache holds a stale CSRF token; ask for the current one. This also
    // tells whether the session is still alive.
    const response = await fetch(SYNC_URL, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
      signal: timeLimit(outbox.baseTimeoutMs),
    });
    if (response.redirected && new URL(response.url).pathname.startsWith(LOGIN_URL)) {
      return { login: true };
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = await response.json();
    csrfToken = data.csrf;
    lastContact = Date.now();
    if (data.draf_hari) localStorage.setItem("psm-draf-hari", String(data.draf_hari));
    return { token: data.csrf };
  }

  function bodyOf(item) {
    const body = new FormData();
    item.fields.forEach(([name, value]) => body.append(name, value));
    Object.entries(item.files || {}).forEach(([name, files]) =>
      files.forEach((f) => body.append(name, f.blob, f.name))
    );
    return body;
  }

  async function update(id, changes) {
    const item = await idb.get(OUTBOX, id);
    if (!item) return null;
    const next = { ...item, ...changes };
    await idb.put(OUTBOX, next);
    return next;
  }

  async function retryLater(item, error) {
    const seconds = backoffSeconds(item.attempts);
    return update(item.id, { state: "menunggu", nextAt: Date.now() + seconds * 1000, error });
  }

  // flashed: the server kept the messages for the next page too (only a foreground send's first
  // answer does; see handOn).
  async function succeeded(item, data, flashed) {
    await update(item.id, {
      state: "terkirim",
      sentAt: Date.now(),
      url: data.url || "",
      messages: data.pesan || [],
      levels: data.tingkat_pesan || [],
      flashed,
      fields: [],
      files: {},
      error: "",
    });
    await idb.del(DRAFTS, item.draftId);
    // A list of such records open on this page no longer shows all of them: it says so (a
    // reload under the PSM's thumb would lose their place).
    document.querySelectorAll("[data-offline-list-stale]").forEach((notice) => {
      if (notice.dataset.offlineListStale === item.kind) notice.hidden = false;
    });
    // Later edits of the same record queued on this phone were based on the version this one
    // replaced: they follow it, they do not conflict with it.
    if (data.versi_dasar) {
      for (const other of await idb.all(OUTBOX)) {
        if (other.id !== item.id && other.action === item.action && other.state !== "terkirim") {
          other.fields = other.fields.map(([n, v]) => [n, n === "versi_dasar" ? data.versi_dasar : v]);
          await idb.put(OUTBOX, other);
        }
      }
    }
  }

  const sending = new Map(); // item id -> its send under way on this page

  // Sends one item, one sender at a time. The page's own submit, the timer's flush and another
  // tab's took an item being sent ("mengirim") for one still waiting and sent it again: the
  // server answers a repeat of a saved copy from its receipt, but keeps none of a refused copy
  // (so that a corrected one may follow), so a refused form was processed twice, photos and all.
  // A later sender waits for the one under way and sends only what is still waiting.
  // Answers the item as it is afterwards.
  function send(id, options) {
    if (!sending.has(id)) {
      const once = () => sendNow(id, options);
      const under = navigator.locks ? navigator.locks.request(`psm-kiriman:${id}`, once) : once();
      sending.set(id, under.finally(() => sending.delete(id)));
    }
    return sending.get(id);
  }

  async function sendNow(id, { foreground = false } = {}) {
    let item = await idb.get(OUTBOX, id);
    if (!item || !WAITING.includes(item.state)) return item;
    item = await update(id, { state: "mengirim", attempts: item.attempts + 1 });
    await render();
    try {
      if (!csrfToken) {
        const check = await freshToken();
        if (check.login) {
          item = await update(id, { state: "perlu_masuk", error: t("sesi_habis") });
          return item;
        }
      }
      const headers = { "X-CSRFToken": csrfToken, "X-Offline-Kiriman": item.id, Accept: "application/json" };
      if (!foreground) headers["X-Offline-Latar"] = "1";
      let response;
      try {
        response = await fetch(item.action, {
          method: "POST",
          body: bodyOf(item),
          credentials: "same-origin",
          headers,
          // A send that hangs (a connection the phone has not noticed is dead) would hold the
          // item, and the lock another tab waits on, until the browser gave up: it is given up
          // here and tried again later (the server answers a repeat from its receipt).
          signal: timeLimit(sendTimeMs(item)),
        });
      } catch (error) {
        return await retryLater(item, t("tanpa_sinyal"));
      }
      lastContact = Date.now();
      if (response.redirected && new URL(response.url).pathname.startsWith(LOGIN_URL)) {
        return await update(id, { state: "perlu_masuk", error: t("sesi_habis") });
      }
      let data = null;
      try {
        data = await response.clone().json();
      } catch (error) {
        data = null;
      }
      if (response.ok && data && data.status === "terkirim") {
        // A repeat is answered from the receipt, which keeps nothing for the next page.
        await succeeded(item, data, foreground && !data.ulangan);
      } else if (response.ok && !data && response.redirected) {
        await succeeded(item, { url: response.url });
      } else if (response.status === 409 && data) {
        await update(id, { state: "konflik", conflict: data, error: "" });
      } else if (response.status === 400 && data && data.status === "perlu_diperbaiki") {
        await update(id, { state: "perlu_diperbaiki", problems: data, error: "" });
      } else if (response.status === 403 && !data) {
        csrfToken = null; // most likely a token from before the last login: fetch it again
        await retryLater(item, t("server_galat", { kode: 403 }));
      } else if ((response.status === 403 || response.status === 404) && data) {
        await update(id, { state: "ditolak", problems: data, error: "" });
      } else {
        await retryLater(item, t("server_galat", { kode: response.status }));
      }
    } catch (error) {
      await retryLater(item, t("tanpa_sinyal"));
    } finally {
      await render();
    }
    return idb.get(OUTBOX, id);
  }

  async function mine() {
    const items = (await idb.all(OUTBOX)).filter((i) => i.user === USER);
    return items.sort((a, b) => a.createdAt - b.createdAt);
  }

  async function heartbeat(force) {
    if (!force && Date.now() - lastHeartbeat < HEARTBEAT_EVERY_MS) return;
    const items = await mine();
    const count = (states) => items.filter((i) => states.includes(i.state)).length;
    try {
      if (!csrfToken) await freshToken();
      const response = await fetch(SYNC_URL, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken, "Content-Type": "application/json" },
        body: JSON.stringify({
          menunggu: count([...WAITING, "perlu_diperbaiki", "ditolak"]),
          konflik: count(["konflik"]),
        }),
      });
      if (response.ok) {
        lastHeartbeat = Date.now();
        lastContact = lastHeartbeat;
        localStorage.setItem("psm-sinkron-terakhir", String(lastHeartbeat));
      }
    } catch (error) {
      /* no signal: reported next time */
    }
  }

  // Sends what is due, oldest first. Edits of one record go in order: a later one waits while
  // an earlier one has not gone through.
  async function flush({ manual = false } = {}) {
    if (flushing) return flushing;
    flushing = (async () => {
      const items = await mine();
      const blocked = new Set();
      let sentSomething = false;
      for (const item of items) {
        if (item.state === "terkirim") continue;
        if (blocked.has(item.action)) continue;
        const due = WAITING.includes(item.state) && (manual || (item.nextAt || 0) <= Date.now());
        if (!due) {
          blocked.add(item.action);
          continue;
        }
        if (!navigator.onLine && !manual) {
          blocked.add(item.action);
          continue;
        }
        const after = await send(item.id);
        sentSomething = true;
        if (!after || after.state !== "terkirim") blocked.add(item.action);
        if (after && after.state === "menunggu" && after.error === t("tanpa_sinyal")) break;
      }
      if (navigator.onLine) await heartbeat(sentSomething || manual);
      await render();
    })().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  async function tidy() {
    const now = Date.now();
    for (const draft of await idb.all(DRAFTS)) {
      const expired = !draft.queued && now - draft.savedAt > draftDays() * 86400 * 1000;
      if (draft.user !== USER || expired) await idb.del(DRAFTS, draft.id);
    }
    for (const item of await idb.all(OUTBOX)) {
      const old = item.state === "terkirim" && now - (item.sentAt || 0) > KEEP_SENT_MS;
      if (item.user !== USER || old) await idb.del(OUTBOX, item.id);
    }
  }

  // --- What the PSM sees -----------------------------------------------------------------------

  const countEl = mount.querySelector("[data-outbox-count]");
  const summaryEl = mount.querySelector("[data-outbox-summary]");
  const listEl = mount.querySelector("[data-outbox-list]");
  const netEl = mount.querySelector("[data-net-status]");
  const lastEl = mount.querySelector("[data-outbox-last]");
  const sendButton = mount.querySelector("[data-outbox-send]");

  const BADGE = {
    menunggu: "text-bg-warning",
    mengirim: "text-bg-info",
    terkirim: "text-bg-success",
    konflik: "text-bg-danger",
    perlu_diperbaiki: "text-bg-danger",
    ditolak: "text-bg-dark",
    perlu_masuk: "text-bg-warning",
  };

  function button(label, cls, action) {
    return element("button", { type: "button", class: `btn btn-sm ${cls}`, text: label, onclick: action });
  }

  async function discard(item) {
    if (!window.confirm(t("buang_konfirmasi"))) return;
    await idb.del(OUTBOX, item.id);
    await idb.del(DRAFTS, item.draftId);
    await render();
    heartbeat(true);
  }

  async function reopen(item) {
    // Back to the form with the PSM's copy: the draft takes the item's place, and keeps what the
    // server asked to fix until it is sent again (the form shows it, each field marked).
    const draft = await idb.get(DRAFTS, item.draftId);
    if (draft) await idb.put(DRAFTS, { ...draft, queued: null, problems: item.problems || null });
    await idb.del(OUTBOX, item.id);
    const target = new URL(`${item.page}#draf=${item.draftId}`, location.href);
    if (target.pathname + target.search === pagePath()) {
      // Already on the form's page, where its copy waited: a new address that differs only in
      // its #fragment would not load the page again, and the form stayed hidden.
      history.replaceState(history.state, "", target.href);
      location.reload();
    } else {
      location.assign(target.href);
    }
  }

  function problemLines(p) {
    const lines = [...(p.pesan || [])];
    Object.entries(p.galat || {}).forEach(([label, errors]) => lines.push(`${label}: ${errors.join(" ")}`));
    return lines;
  }

  function detailsOf(item) {
    const parts = [];
    if (item.state === "menunggu" && item.attempts) {
      parts.push(element("div", { class: "small", text: [
        item.error || "",
        t("percobaan", { n: item.attempts }),
        item.nextAt > Date.now() ? t("coba_lagi", { jam: clock(item.nextAt) }) : "",
      ].filter(Boolean).join(" · ") }));
    }
    if (item.state === "perlu_masuk") {
      parts.push(element("div", { class: "small" }, element("span", { text: t("sesi_habis") + " " }),
        element("a", { href: `${LOGIN_URL}?next=${encodeURIComponent(location.pathname)}`, text: t("masuk") })));
    }
    if (item.state === "konflik" && item.conflict) {
      const c = item.conflict;
      parts.push(element("div", { class: "small konflik-pesan", text: (c.pesan || []).join(" ") }));
      parts.push(element("ul", { class: "small mb-1 ps-3" }, ...(c.perubahan || []).map((line) => element("li", { text: line }))));
      parts.push(element("div", { class: "d-flex flex-wrap gap-2" },
        c.url ? element("a", { class: "btn btn-sm btn-outline-primary", href: c.url, text: t("lihat_server") }) : null,
        button(t("buang"), "btn-outline-danger", () => discard(item)),
        c.bisa_kirim ? button(t("tetap_kirim"), "btn-warning", () => sendAnyway(item)) : null));
    }
    if (item.state === "perlu_diperbaiki" || item.state === "ditolak") {
      const lines = problemLines(item.problems || {});
      parts.push(element("ul", { class: "small mb-1 ps-3" }, ...lines.map((line) => element("li", { text: line }))));
      parts.push(element("div", { class: "d-flex flex-wrap gap-2" },
        item.state === "perlu_diperbaiki" ? button(t("buka_formulir"), "btn-primary", () => reopen(item)) : null,
        button(t("buang"), "btn-outline-danger", () => discard(item))));
    }
    if (item.state === "terkirim") {
      parts.push(element("div", { class: "small" },
        element("span", { text: (item.messages || []).join(" ") + " " }),
        item.url ? element("a", { href: item.url, text: t("lihat") }) : null));
    }
    return parts;
  }

  async function sendAnyway(item) {
    const server = item.conflict && item.conflict.versi_server;
    // Set, or added: a form kept on the phone from before the field existed has none.
    const fields = item.fields.filter(([n]) => n !== "versi_dasar");
    if (server !== undefined) fields.push(["versi_dasar", server]);
    // A new identifier: the PSM decided, this is a new submission, not a repeat.
    await idb.del(OUTBOX, item.id);
    const next = { ...item, id: newId(), fields, state: "menunggu", attempts: 0, nextAt: 0, conflict: null };
    await idb.put(OUTBOX, next);
    // the page's notice follows the copy sent now (it kept saying "akan dikirim" after it went)
    const note = document.getElementById("masuk-kotak-keluar");
    if (note && note.dataset.item === item.id) note.dataset.item = next.id;
    const draft = await idb.get(DRAFTS, item.draftId);
    if (draft) await idb.put(DRAFTS, { ...draft, queued: next.id });
    await render();
    await flush({ manual: true });
  }

  let rendering = Promise.resolve();

  function render() {
    rendering = rendering.then(draw, draw);
    return rendering;
  }

  // The notice that replaced a queued form says when its item has gone: "akan dikirim" stayed
  // on the page after the outbox had sent it, and while it waited on the PSM (a conflict, a
  // refusal), when nothing goes by itself.
  function markSent(items) {
    const note = document.getElementById("masuk-kotak-keluar");
    const item = note && note.dataset.item && items.find((i) => i.id === note.dataset.item);
    if (!item || note.dataset.sent) return;
    if (item.state !== "terkirim") {
      const waits = WAITING.includes(item.state);
      note.className = waits ? "alert alert-info" : "alert alert-warning";
      note.querySelector("p").textContent = t(waits ? "masuk_antrean" : "perlu_keputusan_di_sini");
      return;
    }
    note.dataset.sent = "1";
    note.className = "alert alert-success";
    note.querySelector("p").textContent = t("terkirim_dari_sini");
    if (item.url) {
      note.querySelector("div").prepend(
        element("a", { class: "btn btn-success btn-sm", href: item.url, text: t("lihat") })
      );
    }
  }

  async function draw() {
    const items = await mine();
    markSent(items);
    const waiting = items.filter((i) => i.state !== "terkirim");
    countEl.textContent = String(waiting.length);
    countEl.className = `badge rounded-pill ${waiting.length ? "text-bg-warning" : "text-bg-secondary"}`;
    const queued = waiting.filter((i) => WAITING.includes(i.state)).length;
    const stuck = waiting.length - queued;
    summaryEl.textContent = waiting.length
      ? [queued ? t("ringkas", { n: queued }) : "", stuck ? t("ringkas_tindakan", { n: stuck }) : ""]
          .filter(Boolean)
          .join(", ")
      : t("ringkas_kosong");
    netEl.textContent = navigator.onLine ? t("daring") : t("luring");
    netEl.className = `small ms-auto ${navigator.onLine ? "text-success" : "text-danger fw-semibold"}`;
    lastEl.textContent = lastContact ? t("sinkron_terakhir", { jam: clock(lastContact) }) : "";
    sendButton.disabled = !waiting.some((i) => WAITING.includes(i.state));
    listEl.replaceChildren(
      ...items.slice().reverse().map((item) =>
        element(
          "li",
          { class: "list-group-item outbox-item", "data-state": item.state, "data-id": item.id },
          element(
            "div",
            { class: "d-flex justify-content-between align-items-start gap-2" },
            element("span", { class: "fw-semibold", text: item.title }),
            element("span", { class: `badge ${BADGE[item.state] || "text-bg-secondary"} outbox-state`, text: t(item.state) })
          ),
          element("div", { class: "small text-body-secondary", text: t("disimpan", { waktu: when(item.createdAt) }) }),
          ...detailsOf(item)
        )
      )
    );
    if (waiting.some((i) => ["konflik", "perlu_diperbaiki", "perlu_masuk"].includes(i.state))) {
      mount.querySelector("[data-outbox-details]").open = true;
    }
    await drawDrafts();
  }

  async function drawDrafts() {
    const box = document.querySelector("[data-offline-drafts]");
    if (!box) return;
    const drafts = (await idb.all(DRAFTS)).filter((d) => d.user === USER && !d.queued);
    drafts.sort((a, b) => b.savedAt - a.savedAt);
    box.hidden = drafts.length === 0;
    box.querySelector("[data-offline-drafts-list]").replaceChildren(
      ...drafts.map((d) =>
        element(
          "li",
          { class: "list-group-item d-flex justify-content-between align-items-center gap-2" },
          element("span", {}, element("span", { class: "fw-semibold", text: d.title + " " }),
            element("span", { class: "small text-body-secondary", text: t("disimpan", { waktu: when(d.savedAt) }) })),
          element("a", { class: "btn btn-sm btn-outline-primary", href: `${d.page}#draf=${d.id}`, text: t("lanjutkan") })
        )
      )
    );
  }

  // --- Service worker: the pages open without a connection -------------------------------------

  async function registerWorker() {
    if (!navigator.serviceWorker) return;
    try {
      await navigator.serviceWorker.register(mount.dataset.swUrl, { scope: "/" });
      const ready = await navigator.serviceWorker.ready;
      const pages = new Set((mount.dataset.pages || "").split(" ").filter(Boolean));
      document.querySelectorAll("a[data-offline-warm]").forEach((a) => pages.add(a.getAttribute("href")));
      // The worker skips what it fetched a short while ago: this costs nothing on most pages.
      if (ready.active) ready.active.postMessage({ type: "simpan-halaman", urls: [...pages] });
    } catch (error) {
      /* the pages still work online */
    }
  }

  const outbox = { send, flush, render, list: mine, wipeDevice, baseTimeoutMs: 60 * 1000 };
  window.portalOffline = outbox; // for the browser tests and the curious

  sendButton.addEventListener("click", () => flush({ manual: true }));
  window.addEventListener("online", () => {
    render();
    flush({ manual: true });
  });
  window.addEventListener("offline", () => render());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  setInterval(() => flush(), CHECK_EVERY_MS);

  (async () => {
    await tidy();
    await Promise.all(Array.from(document.querySelectorAll("form[data-offline]"), setupForm));
    await render();
    registerWorker();
    if (navigator.onLine) flush();
  })();
})();
