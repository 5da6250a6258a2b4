/* Portal PSM service worker (served at /sw.js by psm_portal.offline.service_worker).
 *
 * - The app shell (CSS, JS, icons) is cached at install, one cache per version of this file.
 * - Pages the server marks with "X-Portal-Offline: simpan" (the PSM's case list and forms) are
 *   kept when visited, so they open without a connection. Other pages are never kept.
 * - Only GET requests are handled: POSTs (form submissions, the outbox) go to the network.
 * - "bersihkan" (sent at logout) deletes every kept page; the server's Clear-Site-Data header
 *   on the logout answer wipes the rest.
 */
"use strict";

const VERSION = "{{ version }}";
const SHELL = "psm-shell-" + VERSION;
const PAGES = "psm-halaman";
const SHELL_FILES = {{ files|safe }};
const NETWORK_TIMEOUT_MS = 8000;
// A page the phone never kept is waited for longer, but not without end: where the signal bar
// shows and the connection is dead, the browser itself waits minutes on a blank screen. The
// server bounds its own work (a statement 30 s, a lock 10 s: web_bounds.py), so a page that has
// not begun to arrive by then never will; the no-signal page says so and tries again by itself.
const PAGE_TIMEOUT_MS = {{ page_timeout_ms }};
// offline/no_signal.html: in Indonesian and English, one file for every reader
const OFFLINE_PAGE = {{ offline_page|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((n) => n.startsWith("psm-shell-") && n !== SHELL)
            .map((n) => caches.delete(n))
        )
      )
      .then(() => self.clients.claim())
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

function keepable(response) {
  return response && response.ok && !response.redirected &&
    response.headers.get("X-Portal-Offline") === "simpan";
}

async function keepPage(request, response) {
  if (!keepable(response)) return;
  const cache = await caches.open(PAGES);
  await cache.put(request.url.split("#")[0], response);
}

async function fromPageCache(url) {
  const cache = await caches.open(PAGES);
  // The pages vary on the cookie and the language: the phone has one user and one language,
  // and logout empties this cache.
  return (
    (await cache.match(url, { ignoreVary: true })) ||
    (await cache.match(url, { ignoreVary: true, ignoreSearch: true }))
  );
}

async function navigate(request) {
  // Network first. A page kept on the phone is worth giving up on a slow network for after a few
  // seconds (until it is in and kept again); any other page (a PDF being made, say) is waited
  // for until PAGE_TIMEOUT_MS, counted until its answer begins, not while a download streams.
  const kept = await fromPageCache(request.url);
  const network = fetch(request).then(async (response) => {
    if (keepable(response)) await keepPage(request, response.clone());
    else if (response.ok && (response.headers.get("Content-Type") || "").startsWith("text/html")) {
      // A page that is no longer for offline use (the case was submitted, say): forget it.
      const cache = await caches.open(PAGES);
      await cache.delete(request.url.split("#")[0]);
    }
    return response;
  });
  network.catch(() => null); // a late failure after the timeout is not an error
  try {
    return await withTimeout(network, kept ? NETWORK_TIMEOUT_MS : PAGE_TIMEOUT_MS);
  } catch (error) {
    if (kept) return kept;
    return new Response(OFFLINE_PAGE, {
      status: 503,
      headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  }
}

async function shellFile(request) {
  const cached = await caches.match(request, { cacheName: SHELL });
  if (cached) return cached;
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // never POSTs: they always go to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (SHELL_FILES.includes(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});

const WARM_AGAIN_MS = 10 * 60 * 1000;
const warmedAt = new Map();

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "simpan-halaman" && Array.isArray(data.urls)) {
    // Keep the pages the PSM will need in the field (offline.js asks on each PSM page).
    const now = Date.now();
    const due = data.urls.filter((u) => !(now - (warmedAt.get(u) || 0) < WARM_AGAIN_MS));
    event.waitUntil(
      Promise.all(
        due.map((u) =>
          fetch(u, { credentials: "same-origin" })
            .then((response) => {
              if (keepable(response)) warmedAt.set(u, now);
              return keepPage(new Request(new URL(u, self.location.origin)), response);
            })
            .catch(() => null)
        )
      )
    );
  } else if (data.type === "bersihkan") {
    warmedAt.clear();
    event.waitUntil(caches.delete(PAGES));
  }
});
